"""Checks every answer progressd gives on a native path against docs/openapi.json.

progressd_fixture.py calls `check_response` for each response it reads (ProgressdServer.request and
raw_request), so every test of the suite checks the document as a side effect: the status must be
documented for the operation (method and path template), a documented header marked required must
be there, and a JSON body must validate against the schema documented for that status and media
type. A mismatch raises AssertionError, failing the test that made the request.

What the document says in its info.description but cannot hold as operations is checked here too:
a path it does not list answers 404, a listed path with a method it does not list answers 405 whose
`Allow` names exactly the documented methods (GET implies HEAD), and HEAD answers as its GET does,
without a body. Answers to the compatibility families' paths (docs/native-api.md, top) are theirs,
not the native API's, and are not checked; nor are CORS preflights, which the server answers
before routing.

Needs Debian's python3-jsonschema (Draft 2020-12, as OpenAPI 3.1): tools/setup installs it and the
CMake test runs the suite with /usr/bin/python3. A newer jsonschema (4.18 on, with `referencing`)
works as well.
"""

import atexit
import json
import os
import sys
import threading

try:
    from jsonschema import Draft202012Validator
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError("the end-to-end suite needs python3-jsonschema (Debian: apt-get install "
                      "python3-jsonschema, or tools/setup) and runs on /usr/bin/python3") from e
try:  # jsonschema 4.18 and later resolve $refs through `referencing` (RefResolver is deprecated)
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012
except ImportError:  # Debian bookworm's 4.10
    Registry = None
    from jsonschema import RefResolver

DOCUMENT_URI = "urn:progressd:openapi"  # the document's name for $refs into it

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCUMENT_PATH = os.path.join(REPO, "docs", "openapi.json")

# The path prefixes the compatibility families claim (the router's add_family_prefix calls):
# everything under them answers in a platform's format and is described by docs/compat-*.md.
COMPAT_PREFIXES = (
    "/v1/ping", "/v1/users/{}/published-courses", "/v1/lesson-progress", "/v1/progresstokens",
    "/v1/domains", "/v1/webhooks",                      # Skilljar
    "/v1/view", "/v1/assessment", "/v1/summary",         # Sunbird
    "/api/v1/education",                                 # the Education Progress API
    "/musora-api",                                       # Musora
)
# What the server answers before a request reaches its route (a malformed or oversized request, a
# timeout): documented on every operation, and possible on paths the document does not list.
TRANSPORT_STATUSES = {"400": "MalformedRequest", "408": "Timeout", "413": "BodyTooLarge",
                      "431": "HeadersTooLarge"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _segments(path):
    return path.split("/")[1:]


def _matches(template, segments, whole):
    """Whether a template's segments ('{…}' matching any non-empty segment) match the path's
    (all of them when `whole`, else its leading ones), as the router matches."""
    if len(template) > len(segments) or (whole and len(template) != len(segments)):
        return False
    for expected, got in zip(template, segments):
        if expected.startswith("{"):
            if not got:
                return False
        elif expected != got:
            return False
    return True


def _media_type(content_type):
    return content_type.split(";", 1)[0].strip().lower()


def _is_json(media_type):
    return media_type == "application/json" or media_type.endswith("+json")


class OpenApiChecker:
    """The document, its path templates, and one compiled validator per schema (built lazily,
    shared by every test of the process)."""

    def __init__(self, document_path=DOCUMENT_PATH):
        with open(document_path, encoding="utf-8") as f:
            self.document = json.load(f)
        for schema in self.document["components"]["schemas"].values():
            Draft202012Validator.check_schema(schema)  # each a valid JSON Schema 2020-12
        if Registry is not None:
            resource = DRAFT202012.create_resource(self.document)
            self._refs = {"registry": Registry().with_resource(DOCUMENT_URI, resource)}
            self._ref_base = DOCUMENT_URI
        else:
            self._refs = {"resolver": RefResolver(base_uri="", referrer=self.document)}
            self._ref_base = ""
        self._validators = {}
        self._lock = threading.Lock()
        # With jsonschema before 4.18 one RefResolver serves every validator, and it keeps a stack
        # of scopes while it validates: tests that request from several threads take turns.
        self._validating = threading.Lock()
        self._templates = sorted(
            ((_segments(path), path) for path in self.document["paths"]),
            # Literal segments win over parameters (OpenAPI's rule for overlapping templates).
            key=lambda item: -sum(not s.startswith("{") for s in item[0]))
        self._compat = [_segments(prefix) for prefix in COMPAT_PREFIXES]
        self.validated = 0   # responses checked
        self.seen = set()    # (method, template, status) of the documented responses met
        self.skipped = 0     # responses on compatibility paths, and preflights

    # --- the document ----------------------------------------------------------------------------

    def _resolve(self, node, pointer):
        """(object, its JSON pointer) after following a local $ref, if any."""
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"]
            node = self.document
            for part in pointer.lstrip("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    def _validator(self, pointer):
        with self._lock:
            validator = self._validators.get(pointer)
            if validator is None:
                # The document is the root, so every $ref inside the schema resolves within it.
                validator = Draft202012Validator({"$ref": self._ref_base + pointer}, **self._refs)
                self._validators[pointer] = validator
            return validator

    def template_of(self, path):
        segments = _segments(path)
        for template, name in self._templates:
            if _matches(template, segments, True):
                return name
        return None

    def is_compat(self, path):
        segments = _segments(path)
        return any(_matches(prefix, segments, False) for prefix in self._compat)

    def documented_methods(self, template):
        item = self.document["paths"][template]
        methods = {m.upper() for m in METHODS if m in item}
        if "GET" in methods:
            methods.add("HEAD")
        return methods

    # --- one response ----------------------------------------------------------------------------

    def check(self, method, target, status, headers, body, request_headers=None):
        """Raises AssertionError when the answer contradicts the document. `headers`: lower-cased
        names. Returns whether the answer was checked (False: not the native API's)."""
        path = target.split("?", 1)[0].split("#", 1)[0]
        method = method.upper()
        request_headers = {k.lower(): v for k, v in (request_headers or {}).items() if v is not None}
        if not path.startswith("/") or self.is_compat(path):
            with self._lock:
                self.skipped += 1
            return False
        if method == "OPTIONS" and "origin" in request_headers and \
                "access-control-request-method" in request_headers:
            with self._lock:
                self.skipped += 1
            return False

        where = f"{method} {target[:200]} answered {status}"
        template = self.template_of(path)
        key = str(status)
        if template is None:
            # Not listed: 404, or what the server answers before routing.
            name = TRANSPORT_STATUSES.get(key, "NotFound")
            if key != "404" and key not in TRANSPORT_STATUSES:
                raise AssertionError(f"{where}: the path is not in docs/openapi.json, so only 404 "
                                     f"(or {', '.join(TRANSPORT_STATUSES)}) is documented; body {body[:300]!r}")
            response, pointer = self._resolve({"$ref": "#/components/responses/" + name}, "")
            self._check_response(where, method, response, pointer, headers, body)
            return self._counted()

        item = self.document["paths"][template]
        verb = "get" if method == "HEAD" else method.lower()
        operation = item.get(verb) if verb in METHODS else None
        if operation is None:
            if key in TRANSPORT_STATUSES:
                name = TRANSPORT_STATUSES[key]
            elif key == "405":
                name = "MethodNotAllowed"
                allowed = {m.strip() for m in headers.get("allow", "").split(",") if m.strip()}
                documented = self.documented_methods(template)
                if allowed != documented:
                    raise AssertionError(f"{where}: Allow {headers.get('allow')!r} but docs/openapi.json "
                                         f"documents {sorted(documented)} for {template}")
            else:
                raise AssertionError(f"{where}: {method} is not documented for {template}, so only 405 "
                                     f"is; body {body[:300]!r}")
            response, pointer = self._resolve({"$ref": "#/components/responses/" + name}, "")
            self._check_response(where, method, response, pointer, headers, body)
            return self._counted()

        responses = operation["responses"]
        op_pointer = "#/paths/" + template.replace("~", "~0").replace("/", "~1") + "/" + verb + "/responses/"
        chosen = responses.get(key) or responses.get(key[0] + "XX") or responses.get("default")
        if chosen is None:
            raise AssertionError(f"{where}: status {status} is not documented for {method} {template} "
                                 f"(documented: {', '.join(sorted(responses))}); body {body[:300]!r}")
        response_key = key if key in responses else key[0] + "XX" if key[0] + "XX" in responses else "default"
        response, pointer = self._resolve(chosen, op_pointer + response_key)
        self._check_response(where, method, response, pointer, headers, body)
        with self._lock:
            self.seen.add((verb.upper(), template, response_key))
        return self._counted()

    def unseen(self):
        """The documented (method, path, status) the answers checked so far never had."""
        documented = {(verb.upper(), path, status)
                      for path, item in self.document["paths"].items()
                      for verb, operation in item.items() if verb in METHODS
                      for status in operation["responses"]}
        return sorted(documented - self.seen)

    def _counted(self):
        with self._lock:
            self.validated += 1
        return True

    def _check_response(self, where, method, response, pointer, headers, body):
        for name, header in (response.get("headers") or {}).items():
            header, header_pointer = self._resolve(header, pointer + "/headers/" + name)
            value = headers.get(name.lower())
            if value is None:
                if header.get("required"):
                    raise AssertionError(f"{where}: header {name} is documented as required but missing")
                continue
            if "schema" in header:
                validator = self._validator(header_pointer + "/schema")
                with self._validating:
                    errors = sorted(validator.iter_errors(value), key=str)
                if errors:
                    raise AssertionError(f"{where}: header {name}: {value!r}: {errors[0].message}")

        content = response.get("content")
        if method == "HEAD" or not body:
            if body and not content:
                raise AssertionError(f"{where}: a body where docs/openapi.json documents none: {body[:300]!r}")
            if not body and content and method != "HEAD":
                raise AssertionError(f"{where}: no body, but docs/openapi.json documents {sorted(content)}")
            return
        if not content:
            raise AssertionError(f"{where}: a body where docs/openapi.json documents none: {body[:300]!r}")
        content_type = headers.get("content-type", "")
        media = _media_type(content_type)
        key = content_type if content_type in content else media if media in content else None
        if key is None:
            raise AssertionError(f"{where}: Content-Type {content_type!r}, documented: {sorted(content)}")
        if not _is_json(media):
            return
        try:
            value = json.loads(body)
        except ValueError as e:
            raise AssertionError(f"{where}: Content-Type {content_type!r} but the body is not JSON ({e}): "
                                 f"{body[:300]!r}") from None
        schema_pointer = pointer + "/content/" + key.replace("~", "~0").replace("/", "~1") + "/schema"
        validator = self._validator(schema_pointer)
        with self._validating:
            errors = list(validator.iter_errors(value))
        if errors:
            best = min(errors, key=lambda e: len(list(e.absolute_path)))
            location = "/".join(str(p) for p in best.absolute_path) or "(the body)"
            raise AssertionError(f"{where}: the body does not match {schema_pointer} at {location}: "
                                 f"{best.message}\nbody: {body[:600]!r}")


_checker = None
_checker_lock = threading.Lock()


def checker():
    """The process's one checker (the document read and its validators compiled once)."""
    global _checker
    with _checker_lock:
        if _checker is None:
            _checker = OpenApiChecker()
            atexit.register(_report)
        return _checker


def check_response(method, target, status, headers, body, request_headers=None):
    return checker().check(method, target, status, headers, body, request_headers)


def _report():
    unseen = _checker.unseen()
    print(f"openapi_check: {_checker.validated} answers on native paths validated against "
          f"docs/openapi.json ({_checker.skipped} on compatibility paths or CORS preflights not checked); "
          f"{len(unseen)} documented responses never met"
          f"{'' if os.environ.get('OPENAPI_CHECK_UNSEEN') else ' (OPENAPI_CHECK_UNSEEN=1 lists them)'}",
          file=sys.stderr)
    if os.environ.get("OPENAPI_CHECK_UNSEEN"):
        for method, path, status in unseen:
            print(f"  never met: {method} {path} {status}", file=sys.stderr)
