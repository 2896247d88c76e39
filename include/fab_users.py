"""The production profile's FAB users and role grants, decided by the metadata database itself."""

from __future__ import annotations

import json
import sys

# Under FAB, Airflow's page lists plugins (our nav entry and Job output views) through
# GET /api/v2/plugins, which needs this permission; FAB's own Viewer and User roles lack it.
PLUGINS_PERMISSION = ("can_read", "Plugins")
PLUGIN_ROLES = ("Viewer", "User", "Op", "Admin")


def ensure_users(users: dict[str, tuple[str, str]]) -> list[str]:
    """Make the metadata database hold ``users`` with these passwords and roles.

    A user that is missing is created; one whose password no longer matches is given the
    password again (the logins printed from the passwords file must work); roles get the
    plugins permission. Runs inside Airflow's configuration (``AIRFLOW__*`` of the profile).

    :param users: user name -> (password, role).
    :returns: one line per change made.
    """
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
    from werkzeug.security import check_password_hash

    done: list[str] = []
    with get_application_builder() as appbuilder:
        sm = appbuilder.sm
        action, resource = PLUGINS_PERMISSION
        permission = sm.get_permission(action, resource) or sm.create_permission(action, resource)
        for role_name in PLUGIN_ROLES:
            role = sm.find_role(role_name)
            if role is not None and permission not in role.permissions:
                sm.add_permission_to_role(role, permission)
                done.append(f"role {role_name}: {action} on {resource}")
        for username, (password, role_name) in users.items():
            role = sm.find_role(role_name)
            if role is None:
                raise SystemExit(f"FAB has no role {role_name!r} for user {username!r}")
            user = sm.find_user(username=username)
            if user is None:
                added = sm.add_user(
                    username=username,
                    first_name=username,
                    last_name="Focus",
                    email=f"{username}@focus.invalid",
                    role=role,
                    password=password,
                )
                if not added:
                    raise SystemExit(f"could not create FAB user {username!r} (see above)")
                done.append(f"user {username} ({role_name}) created")
            elif not check_password_hash(user.password or "", password):
                sm.reset_password(user.id, password)
                done.append(f"user {username}: password set from the passwords file")
    return done


def main() -> int:
    """Reads ``{"user": ["password", "Role"], ...}`` on stdin; prints what it changed."""
    users = {name: (pw, role) for name, (pw, role) in json.load(sys.stdin).items()}
    for line in ensure_users(users):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
