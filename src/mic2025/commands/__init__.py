"""Every command of ``mic2025``, one module per subject, and what they share (:mod:`.common`).

``mic2025.cli`` registers every command and group listed in :data:`GROUPS` on the root
group; a module here imports its subsystem lazily inside the commands, so
``mic2025 --help`` stays fast.
"""

#: (module, attribute) of each command group registered on the main ``mic2025`` command
GROUPS: tuple[tuple[str, str], ...] = (
    ("mic2025.commands.evaluation", "run"),
    ("mic2025.commands.plan", "plan"),
    ("mic2025.commands.data", "import_"),
    ("mic2025.commands.data", "data"),
    ("mic2025.commands.evaluation", "evaluate_cmd"),
    ("mic2025.commands.gaps", "gaps"),
    ("mic2025.commands.evaluation", "assess"),
    ("mic2025.commands.evaluation", "report"),
    ("mic2025.commands.evaluation", "methods"),
    ("mic2025.commands.evaluation", "schema"),
    ("mic2025.commands.index", "index"),
    ("mic2025.commands.microdata", "microdata"),
    ("mic2025.commands.web", "serve"),
    ("mic2025.commands.web", "users"),
    ("mic2025.commands.web", "audit_group"),
    ("mic2025.commands.store", "store_group"),
    ("mic2025.commands.followup", "midterm"),
    ("mic2025.commands.followup", "final"),
    ("mic2025.commands.followup", "bulletin"),
    ("mic2025.commands.followup", "adjust"),
    ("mic2025.commands.followup", "warnings_cmd"),
    ("mic2025.commands.followup", "supervision"),
    ("mic2025.commands.followup", "thirdparty"),
    ("mic2025.commands.notices", "notices_cmd"),
    ("mic2025.commands.coverage", "coverage"),
)
