"""The chat flows' actions: what the resident's and the coordinator's conversations
do with orders.
"""
