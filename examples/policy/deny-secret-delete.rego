# Deny a plan that removes or rotates a client secret: both delete the current credential
# (a rotation is ["create", "delete"]), so whoever reads that secret needs to know.
#
#   registrar plan --format json manifests/ > plan.json
#   conftest test plan.json -p examples/policy
#
# Written against the `terraform show -json` shape Registrar's JSON plan follows
# (docs/plan-json.md), so the same rule works on a terraform plan with `.secret.` addresses.
# `rc.type == "registrar_application_secret"` also catches secrets whose name needs quoting
# (`secret["my secret"]`).
package main

import rego.v1

deny contains msg if {
	rc := input.resource_changes[_]
	contains(rc.address, ".secret.")
	rc.change.actions[_] == "delete"
	msg := sprintf("%s: a plan may not delete a client secret (actions %v)", [rc.address, rc.change.actions])
}
