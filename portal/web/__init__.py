"""The portal's blueprints, by audience, and what every request goes through."""

from __future__ import annotations

from flask import Flask, render_template, request

from portal.web.extensions import csrf, login_manager


def register_blueprints(app: Flask) -> None:
    from portal.validation import REDIRECT_URL_RULE
    from portal.web import auth, health, main
    from portal.web.access import enforce_access
    from portal.web.auth import loader  # noqa: F401  (registers the user loader)
    from portal.web.converters import init_converters
    from portal.web.limits import init_body_limits
    from portal.web.navigation import init_navigation
    from portal.web.security import init_security

    init_converters(app)
    init_body_limits(app)  # before CSRF protection, which reads the form
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    init_security(app)
    init_navigation(app)
    app.jinja_env.globals["redirect_url_rule"] = REDIRECT_URL_RULE
    app.before_request(enforce_access)

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    register_staff_portal(app)
    from portal.web import lifecycle

    app.register_blueprint(lifecycle.bp)
    from portal.web import audit

    app.register_blueprint(audit.bp)

    from portal.web import api, imports, tokens, webhooks

    app.register_blueprint(api.bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(imports.bp)
    from portal.web import links, setup, testsignin

    app.register_blueprint(setup.bp)
    app.register_blueprint(links.bp)
    app.register_blueprint(testsignin.bp)

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page(code))


def register_staff_portal(app: Flask) -> None:
    from portal.web import account, admin, domains, tenants, wizard

    app.register_blueprint(tenants.bp)
    app.register_blueprint(domains.bp)
    app.register_blueprint(wizard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(account.bp)


TITLES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "Your role does not give access to this page or action."),
    404: ("Not found", "There is nothing at this address."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What was sent is larger than the portal accepts here."),
    429: ("Slow down", "Too many requests. Wait a little and try again."),
    500: ("Something went wrong", "The portal hit an unexpected error. It has been logged."),
}


def _error_page(code: int):
    def handler(error):
        if request.path.startswith("/api/"):  # the API answers in problem+json, even for 404
            from portal.web.api.problems import http_problem

            return http_problem(error)
        title, message = TITLES[code]
        description = getattr(error, "description", None) if code in (400, 429) else None
        return render_template(
            "errors/error.html", code=code, title=title, message=description or message
        ), code

    return handler
