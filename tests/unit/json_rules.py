# SPDX-License-Identifier: MIT
"""
The rules of exitrace-json/1 (docs/json.md) as a checker, for the tests
that run every command's --json: the schema (docs/exitrace-json.schema.json,
through python3-jsonschema), and what a schema cannot say across the
whole value: no number past 2^53 anywhere, and every key that names a
machine word holds a "0x" hex string.
"""
import json
import os
import re

import jsonschema

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'docs',
                           'exitrace-json.schema.json')
with open(SCHEMA_PATH) as f:
    SCHEMA = json.load(f)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
jsonschema.Draft202012Validator.check_schema(SCHEMA)

# keys whose value is always a machine word
WORD_KEYS = {'rip', 'rip_before', 'rip_after', 'handler', 'icr', 'entry', 'final_rip', 'gpa',
             'error_code', 'mask'}
HEX = re.compile(r'^0x[0-9a-f]+$')
LIMIT = 2 ** 53


def rule_errors(value, path='$'):
    """What breaks the rules beyond the schema, as a list of messages."""
    errs = []
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return errs
    if isinstance(value, (int, float)):
        if abs(value) >= LIMIT:
            errs.append(f'{path}: the number {value} passes 2^53 (it must be a string)')
        return errs
    if isinstance(value, list):
        for i, v in enumerate(value):
            errs += rule_errors(v, f'{path}[{i}]')
        return errs
    for k, v in value.items():
        if k in WORD_KEYS and not (isinstance(v, str) and HEX.match(v)):
            errs.append(f'{path}.{k}: a machine word must be a "0x" hex string, not {v!r}')
        errs += rule_errors(v, f'{path}.{k}')
    return errs


def definition_of(value):
    """The schema's definition a value is meant to be, so that errors name the key at fault."""
    if not isinstance(value, dict):
        return None
    if 'command' in value:
        return 'dump_header' if value['command'] == 'dump' else value['command']
    return 'event' if 'event' in value else 'dump_step'


def check(value, what):
    """Every problem with one JSON value (a document or a dump line), as messages naming what."""
    d = definition_of(value)
    errs = []
    if d in SCHEMA['$defs']:
        one = jsonschema.Draft202012Validator({'$ref': f'#/$defs/{d}', '$defs': SCHEMA['$defs']})
        errs = [f'{what}: {e.json_path}: {e.message[:300]}' for e in one.iter_errors(value)]
        if not errs and d not in ('event', 'dump_step'):
            # the whole schema too: a document must be one of its kinds and no other
            errs = [f'{what}: {e.json_path}: {e.message[:300]}' for e in VALIDATOR.iter_errors(value)]
    else:
        errs = [f'{what}: {e.json_path}: {e.message[:300]}' for e in VALIDATOR.iter_errors(value)]
    errs += [f'{what}: {e}' for e in rule_errors(value)]
    return errs


def check_document(text, what):
    """One JSON document that a command printed: parsed, with the format key, then checked."""
    try:
        value = json.loads(text)
    except ValueError as e:
        return [f'{what}: not JSON: {e}: {text[:200]!r}'], None
    errs = []
    if not isinstance(value, dict) or value.get('format') != 'exitrace-json/1':
        errs.append(f'{what}: the top-level object has no "format": "exitrace-json/1"')
    return errs + check(value, what), value


def check_lines(text, what, most=None):
    """
    JSON lines (dump --json): the first line the header with the format key,
    then records; with most, only the first most steps and every event.
    """
    lines = text.splitlines()
    if not lines:
        return [f'{what}: no lines'], []
    errs, head = check_document(lines[0], f'{what} line 1')
    values = [head]
    for i, line in enumerate(lines[1:], 2):
        try:
            v = json.loads(line)
        except ValueError as e:
            errs.append(f'{what} line {i}: not JSON: {e}')
            continue
        if 'format' in v:
            errs.append(f'{what} line {i}: only the first line carries "format"')
        if most is None or i <= most or 'event' in v:
            errs += check(v, f'{what} line {i}')
        values.append(v)
    return errs, values
