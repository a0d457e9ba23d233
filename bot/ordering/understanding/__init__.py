"""Understanding what people type: shopping lists, amounts, addresses, markets,
prices, couriers and commands.
"""
