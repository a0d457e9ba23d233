"""The market ordering app: markets, shopping lists, orders and their lifecycle.

It registers actions, conditions, option sources and input kinds with the engine by name;
it knows nothing about Telegram or WhatsApp.
"""
