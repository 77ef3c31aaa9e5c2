#!/usr/bin/env bash
# `make demo`: the whole flow against the local sandbox, no account needed:
# start the sandbox, plan -> apply -> plan (no changes) -> status on campaigns/ (CleverTap, CleverPush and PersonaClick
# resources), then PersonaClick's consent rule (a contact unsubscribes at the source; the plan holds them back),
# stop the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/debug}
work=$(mktemp -d)
sandbox_pid=
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# One sandbox second per real second would make `now` campaigns take a minute; run its clock 60x faster.
# The account has the email and SMS providers the examples name (`provider_nick_name`).
"$BIN/campaign-sandbox" --port 0 --timezone Europe/Berlin --time-scale 60 --completion-delay 60 \
  --provider email:SendGrid --provider sms:Twilio >"$work/sandbox.out" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$work/sandbox.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/sandbox.out" | head -n 1)
[ -n "$url" ] || { echo "the sandbox did not start:"; cat "$work/sandbox.out"; exit 1; }
echo "== sandbox at $url"

export CLEVERTAP_API_URL="$url" CLEVERTAP_ACCOUNT_ID=SANDBOX-ACCOUNT CLEVERTAP_PASSCODE=sandbox-passcode
# The same sandbox serves CleverPush (campaigns/cleverpush: a notification, a tag audience, a subscriber sync).
export CLEVERPUSH_API_URL="$url" CLEVERPUSH_PRIVATE_KEY=sandbox-private-key
# And PersonaClick (campaigns/personaclick: subscription preferences and suppressions).
export PERSONACLICK_API_URL="$url" PERSONACLICK_SHOP_SECRET=sandbox-shop-secret
export CAMPAIGN_STATE="$work/state.json"

echo; echo "== campaign plan campaigns"
"$BIN/campaign" plan campaigns
echo; echo "== campaign apply campaigns --auto-approve --init-state   (the project's first apply creates its state)"
"$BIN/campaign" apply campaigns --auto-approve --init-state
sleep 2   # let the sandbox complete the `now` campaign (60 sandbox seconds)
echo; echo "== campaign plan campaigns --detailed-exitcode   (expect no changes: exit 0)"
"$BIN/campaign" plan campaigns --detailed-exitcode
echo; echo "== campaign status campaigns"
"$BIN/campaign" status campaigns
echo; echo "== CleverPush: what the sandbox received"
curl -s "$url/_sandbox/cleverpush/stats"; echo

echo; echo "== PersonaClick: ana@example.com unsubscribes on the unsubscribe page (at the source, after the apply)"
sleep 1.1   # state keeps times to the second: the unsubscribe is after the last apply
curl -s -X POST "$url/_sandbox/personaclick/unsubscribe_page" -H 'Content-Type: application/json' -d '{"email": "ana@example.com"}'; echo
echo; echo "== campaign plan campaigns/personaclick   (the file still says email_bulk: true; expect '! consent', no resubscription)"
"$BIN/campaign" plan campaigns/personaclick
echo; echo "== campaign apply campaigns/personaclick --auto-approve   (the hold is recorded; nothing turns Ana's flags on)"
"$BIN/campaign" apply campaigns/personaclick --auto-approve
echo; echo "== PersonaClick: Ana at the source"
curl -s "$url/_sandbox/personaclick/contact?email=ana@example.com"; echo
echo; echo "== campaign status campaigns --changes $(date -u +%Y-%m-%d) --format markdown"
"$BIN/campaign" status campaigns --changes "$(date -u +%Y-%m-%d)" --format markdown
echo; echo "== PersonaClick: what the sandbox received"
curl -s "$url/_sandbox/personaclick/stats"; echo
