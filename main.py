#!/usr/bin/env python3
"""Pasar Daring: `python3 main.py chat` to chat with the bot; `--help` for every command."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
