"""Middleware of our own: an address with more parameters than Django reads is answered with a clear 400."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.formats import number_format

# The logger Django itself reports this refusal to (django.core.handlers.exception).
security_logger = logging.getLogger("django.security.TooManyFieldsSent")


class QueryStringLimitMiddleware:
    """Read the query string before any view does, and answer 400 when it holds too many parameters.

    request.GET raises TooManyFieldsSent beyond DATA_UPLOAD_MAX_NUMBER_FIELDS and, keeping no result,
    raises it again each time it is read. With DEBUG on, Django's error page reads request.GET while it
    reports the first failure, so the second one escapes and the visitor gets a 500. Read here, once,
    every URL answers the same 400 page in both modes. It comes after the middleware that adds headers,
    so the answer still passes back through them and carries the security headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.GET  # noqa: B018 (reading it is the point)
        except TooManyFieldsSent as error:
            security_logger.warning(str(error), extra={"status_code": 400, "request": request})
            limit = number_format(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, force_grouping=True)
            reason = f"This address has more than {limit} parameters, more than we read, so nothing was done."
            return HttpResponseBadRequest(render_to_string("400.html", {"reason": reason}))
        return self.get_response(request)
