"""The multi-user web platform: pages, REST API, accounts, roles, submission and approval.

Start it with ``mic2025 serve``; build it in code with :func:`mic2025.web.app.create_app`.
Layout: ``app.py`` (the factory), ``security.py`` (sessions, tokens, CSRF), ``audit.py``
(the log's CSV), ``data.py`` (cached evaluations), ``followup.py`` (the follow-up pages'
state), ``charts.py`` (ECharts options), ``exports.py`` (CSV, Excel, SDMX-CSV), ``writer.py`` (the
writer process of ``serve --workers N``), ``workers.py`` (the workers, a socket each),
``views/``
(routes), ``templates/`` and ``static/``. No SQL and no writes here: who may do what is
:mod:`mic2025.permissions`, every write is :mod:`mic2025.services`, every query
:mod:`mic2025.store`.
"""
