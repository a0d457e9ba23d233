"""The market office on the web: today's orders, an order's page with the chat's actions,
recaps with charts, neighbourhoods, the ordering funnel, exports, markets and people.

Starlette + Jinja2 templates (bot/office/templates/) + htmx (bot/office/static/, shipped
in the repository); signed in by a one-time link sent in chat (``masuk``, see
`bot.ordering.chat.sign_in` and `bot.office.links`); the same roles and lifecycle as the
chat (`bot.office.permissions`, `bot.ordering.chat.changes`).

Building it, in a test or a program::

    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient
    from bot.office.app import build_office

    web = Starlette(routes=[Mount("/office", build_office(app))])  # app: a bot.app.App
    client = TestClient(web)

`build_office(app, clock=None)` takes the running `App` (its store, markets, locales and
adapters: an action on a page is told to the resident with ``await app.deliver(...)``) and
an optional clock (epoch seconds; by default the engine's, so a test that moves the bot's
clock moves the office's). `bot.office.app.office_mount(app)` is the same at ``/office``,
as `bot.server` and ``main.py office`` mount it. tests/office/ has a helper that signs a
staff member in through the chat.

Modules: app (factory), web (templates, sessions of requests, forms), links (sign-in
links and web sessions in the store), cookies (signing), csrf, guard (signed-in pages),
permissions (who sees which markets), settings, queries (what pages read), views/ (one
module per page).
"""
