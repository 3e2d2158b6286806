# Vault policy `ytempire-secrets` for Strongroom (KV v2 mounted at kv/).
# The first block is the spec's policy, verbatim ("Development Setup → Configure Vault").
path "kv/data/ytempire/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# What Strongroom needs besides reading and writing values:
# key metadata (custom_metadata, version list, `vault kv list kv/ytempire/secrets/`, removing a key)
path "kv/metadata/ytempire/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# soft-delete, undelete and destroy of specific versions (POST → "update")
path "kv/delete/ytempire/*" {
  capabilities = ["update"]
}

path "kv/undelete/ytempire/*" {
  capabilities = ["update"]
}

path "kv/destroy/ytempire/*" {
  capabilities = ["update"]
}
