"""Command groups that live beside their subsystem: each module defines one click group.

``mic2025.cli`` registers every group listed in :data:`GROUPS`; a module here imports its
subsystem lazily inside the commands, so ``mic2025 --help`` stays fast.
"""

#: (module, attribute) of each command group registered on the main ``mic2025`` command
GROUPS: tuple[tuple[str, str], ...] = (
    ("mic2025.commands.index", "index"),
    ("mic2025.commands.microdata", "microdata"),
    ("mic2025.commands.web", "serve"),
    ("mic2025.commands.web", "users"),
    ("mic2025.commands.web", "audit_group"),
    ("mic2025.commands.store", "store_group"),
    ("mic2025.commands.followup", "midterm"),
    ("mic2025.commands.followup", "bulletin"),
    ("mic2025.commands.followup", "adjust"),
    ("mic2025.commands.followup", "warnings_cmd"),
    ("mic2025.commands.followup", "supervision"),
    ("mic2025.commands.followup", "thirdparty"),
    ("mic2025.commands.followup", "followup_group"),
)
