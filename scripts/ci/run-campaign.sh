#!/usr/bin/env bash
# Runs one `campaign` command for the composite action (action.yml, step "Run campaign").
#
# Inputs (environment variables, set by action.yml from the action's inputs through `env:`; no workflow
# expression is ever pasted into this script):
#   CAMPAIGN_COMMAND             the arguments, e.g. `plan campaigns --format markdown --detailed-exitcode`
#                                (a leading `campaign` is allowed). Split into words at white space; '…' or "…"
#                                quote a word that holds spaces. Nothing is expanded or run: no $VARIABLES, globs,
#                                pipes or `;` — the words go to campaign as they are.
#   CAMPAIGN_SUCCESS_EXIT_CODES  exit statuses that make the step succeed, e.g. `0 2` for plan --detailed-exitcode
#   CAMPAIGN_BIN                 optional: the folder holding campaign (else campaign is looked up on PATH)
#
# campaign's standard output is printed and kept in a file; the step outputs `exit-code` and `stdout-file` say
# how it ended and where that file is. Standard error (diagnostics, GitHub annotations) goes to the log.
set -uo pipefail

fail() { echo "::error title=campaign::$*" >&2; exit 1; }

command_text=${CAMPAIGN_COMMAND:-}
# xargs splits the text into words the way a shell would quote them, and expands nothing.
words=$(printf '%s\n' "$command_text" | xargs -r printf '%s\n') || fail "the input 'command' cannot be split into words (an unmatched quote?)"
[ -n "$words" ] || fail "the input 'command' is empty (e.g. 'validate --format github campaigns')"
mapfile -t args <<<"$words"
[ "${args[0]}" = campaign ] && args=("${args[@]:1}")
[ "${#args[@]}" -gt 0 ] || fail "the input 'command' names no campaign command"

# A pull request's content is untrusted: it must not be able to send credentials to a host of its choosing.
case "${GITHUB_EVENT_NAME:-}" in
  pull_request | pull_request_target | pull_request_review | pull_request_review_comment | issue_comment)
    for word in "${args[@]}"; do
      [ "$word" = --allow-api-url ] && fail "--allow-api-url is refused in a pull-request job (project.yaml is untrusted there)"
    done
    [ -n "${CAMPAIGN_ALLOW_API_URL:-}" ] && fail "CAMPAIGN_ALLOW_API_URL is refused in a pull-request job (project.yaml is untrusted there)"
    # Nor choose where the database password goes: with PGPASSWORD set, the state location must be the runner's.
    [ -n "${CAMPAIGN_STATE_HOSTS:-}" ] && fail "CAMPAIGN_STATE_HOSTS is refused in a pull-request job (project.yaml is untrusted there)"
    if [ -n "${PGPASSWORD:-}" ] && [ -z "${CAMPAIGN_STATE:-}" ]; then
      fail "PGPASSWORD is set but CAMPAIGN_STATE is empty: in a pull-request job the state location must come from the runner, not from project.yaml"
    fi
    # CleverPush's private key and PersonaClick's shop secret can write (neither has a read-only one): only release
    # jobs get them. Any CLEVERPUSH_* or PERSONACLICK_* variable but the runner's API host is taken for one.
    for name in $(compgen -e); do
      case "$name" in
        CLEVERPUSH_API_URL|PERSONACLICK_API_URL) ;;
        CLEVERPUSH_*) [ -n "${!name}" ] && fail "$name is set in a pull-request job: CleverPush's private key belongs to release jobs only (docs/CI.md)" ;;
        PERSONACLICK_*) [ -n "${!name}" ] && fail "$name is set in a pull-request job: PersonaClick's shop secret belongs to release jobs only (docs/CI.md)" ;;
      esac
    done
    ;;
esac

success_codes=${CAMPAIGN_SUCCESS_EXIT_CODES:-0}
for code in $success_codes; do
  [[ "$code" =~ ^[0-9]+$ ]] || fail "success-exit-codes must be numbers separated by spaces, not '$success_codes'"
done

campaign=campaign
[ -n "${CAMPAIGN_BIN:-}" ] && campaign="$CAMPAIGN_BIN/campaign"
out=$(mktemp "${RUNNER_TEMP:-/tmp}/campaign-stdout.XXXXXX")
echo "campaign ${args[*]}"
"$campaign" "${args[@]}" | tee "$out"
status=${PIPESTATUS[0]}
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "exit-code=$status"; echo "stdout-file=$out"; } >>"$GITHUB_OUTPUT"
fi
for code in $success_codes; do
  if [ "$status" -eq "$code" ]; then
    [ "$status" -ne 0 ] && echo "campaign exited $status (accepted: $success_codes)"
    exit 0
  fi
done
echo "::error title=campaign::campaign ${args[0]} exited $status (accepted: $success_codes)" >&2
exit $((status == 0 ? 1 : status))
