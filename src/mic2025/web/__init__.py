"""The multi-user web platform: pages, REST API, accounts, roles, submission and approval.

Start it with ``mic2025 serve``; build it in code with :func:`mic2025.web.app.create_app`.
Layout: ``app.py`` (the factory), ``permissions.py`` (the one ``allowed`` function),
``security.py`` (sessions, tokens, CSRF), ``accounts.py``, ``audit.py``,
``submissions.py`` (templates and workflow), ``reviews.py``, ``data.py`` (cached
evaluations), ``charts.py`` (ECharts options), ``exports.py`` (CSV, Excel, SDMX-CSV),
``views/`` (routes), ``templates/`` and ``static/``.
"""
