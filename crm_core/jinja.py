"""The Jinja2 environment of the project's second template engine, and how a page renders one of its partials."""

from typing import Any

from django.template import engines
from django.utils.safestring import SafeString, mark_safe

import jinja2


def environment(**options: Any) -> jinja2.Environment:
    """Return the environment Django's Jinja2 backend renders with (settings.TEMPLATES, "jinja2").

    A value a partial names but is not given fails the render instead of showing as nothing: the views
    build these contexts themselves, so a missing key is a bug to hear about in the tests. Escaping is
    on whatever the settings say: partial_render relies on it.
    """
    for chosen_here in ("undefined", "autoescape"):
        options.pop(chosen_here, None)
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, **options)


def partial_render(template_name: str, context: dict[str, Any]) -> SafeString:
    """Render a template of jinja2/ to markup a Django template may output as it is.

    Safe to mark so: the environment escapes every value the template outputs (autoescape), unless the
    value is already markup, as Django's engine does.
    """
    template = engines["jinja2"].env.get_template(template_name)
    return mark_safe(template.render(context))  # noqa: S308 -- escaped by Jinja2's autoescape, see above.
