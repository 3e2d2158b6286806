#!/bin/sh
# One-shot Vault setup for the development stack (docker/docker-compose.yml): the spec's
# "Configure Vault" steps. Idempotent, so it can run again against a running Vault.
# Needs VAULT_ADDR, VAULT_TOKEN (the dev root token) and STRONGROOM_VAULT_TOKEN.
set -eu

until vault status >/dev/null 2>&1; do
  echo "vault-init: waiting for Vault at $VAULT_ADDR"
  sleep 1
done

# Enable KV v2 secrets engine (at kv/)
if vault secrets list -format=json | grep -q '"kv/"'; then
  echo "vault-init: kv/ already enabled"
else
  vault secrets enable -version=2 kv
fi

# Create policies
vault policy write ytempire-secrets /vault/policy.hcl

# Create token: limited to the policy (plus Vault's default policy, which lets it look itself up
# and renew itself), periodic so Strongroom keeps it alive, with a fixed id for the compose file.
if vault token lookup "$STRONGROOM_VAULT_TOKEN" >/dev/null 2>&1; then
  echo "vault-init: Strongroom's token already exists"
else
  vault token create -id="$STRONGROOM_VAULT_TOKEN" -policy=ytempire-secrets -period=24h \
    -display-name=strongroom >/dev/null
fi
echo "vault-init: done (kv v2 at kv/, policy ytempire-secrets, token for Strongroom)"
