"""The order domain: the Order type, its statuses and events, the lifecycle,
who may do what, markets and order codes.
"""
