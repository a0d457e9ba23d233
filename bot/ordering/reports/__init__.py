"""The order as people read it (cards, lines) and the figures for the market office
(report, chart).
"""
