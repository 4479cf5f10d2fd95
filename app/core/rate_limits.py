"""Flask-Limiter's request hooks, run only where a limit can apply.

Every limit Aula sets is on a view (`@limiter.limit`, `limiter.shared_limit`): the view's
wrapper checks it when the view runs. Flask-Limiter also checks every request in a
`before_request` hook, for limits that apply to many routes at once (application-wide,
default, blueprint, meta and in-memory fallback limits), and reads and clears its per-request
state in an `after_request` and a `teardown_request` hook. Aula sets none of those limits, so
on every other request the three hooks work out that nothing applies: about a sixth of the
processor time of a page served from the page cache (README, Performance, 2026-12-06).

`run_only_where_limited` leaves the first hook out while no such limit is set, and runs the
other two only in a request whose view asked the limiter (a limited view; its headers and
conditional deductions are as before). Were such a limit set, every hook is kept as it is.
"""

import functools

from flask import Flask
from flask.globals import request_ctx
from flask_limiter import Limiter

# Where Flask-Limiter keeps a request's state, on the request context, once anything in the
# request asked it (flask_limiter/_extension.py, Limiter.context).
_STATE = "_limiter_request_context"
_UNKNOWN = object()


def limits_beyond_views(limiter: Limiter) -> bool:
    """Whether any limit applies beyond the views that declare their own. What Flask-Limiter
    does not say (another version, other names) counts as yes: every hook is kept then."""
    manager = getattr(limiter, "limit_manager", _UNKNOWN)
    held = [
        getattr(manager, "_application_limits", _UNKNOWN),
        getattr(manager, "_default_limits", _UNKNOWN),
        getattr(manager, "_blueprint_limits", _UNKNOWN),
        getattr(limiter, "_meta_limits", _UNKNOWN),
        getattr(limiter, "_in_memory_fallback", _UNKNOWN),
    ]
    return any(limits is _UNKNOWN or limits for limits in held)


def run_only_where_limited(app: Flask, limiter: Limiter) -> None:
    """Called once the app's blueprints are registered (a blueprint's limit is set when its
    views are imported)."""
    if not limiter.enabled or limits_beyond_views(limiter):
        return
    check = limiter._check_request_limit
    before = app.before_request_funcs.get(None, [])
    if check not in before:
        return  # hooks not as this version of Flask-Limiter puts them: keep them all
    before.remove(check)
    for hooks in (app.after_request_funcs.get(None, []), app.teardown_request_funcs.get(None, [])):
        hooks[:] = [_if_asked(hook) if _is_limiters(hook, limiter) else hook for hook in hooks]


def _is_limiters(hook, limiter: Limiter) -> bool:
    """A hook of `limiter`'s: a method bound to it, or a partial with it as first argument."""
    if getattr(hook, "__self__", None) is limiter:
        return True
    return isinstance(hook, functools.partial) and hook.args[:1] == (limiter,)


def _if_asked(hook):
    """`hook`, run only when something in the request asked the limiter: it reads and clears
    the state that asking made. Otherwise an after-request hook hands the response on."""

    @functools.wraps(hook)
    def run(value=None):
        return hook(value) if hasattr(request_ctx, _STATE) else value

    return run
