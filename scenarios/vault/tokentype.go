package vault

import (
	"fmt"

	"github.com/leasesim/leasesim/model"
)

// LoginTokenType is the type of a token from a login, given the auth
// mount's token_type (Mount.TokenType) and the role's (AuthRole.TokenTypeName),
// as Vault's router decides it (vault/router.go, routeCommon, v1.21.4):
// a mount set to "service" or "batch" forces its type; on "default" or
// "default-service" a role asking for "batch" or "default-batch" gets batch
// and any other role service; on "default-batch" a role asking for
// "service" or "default-service" gets service and any other role batch.
// An empty mount type is read as "default-service" (an untuned mount).
func LoginTokenType(mountType, roleType string) (model.TokenType, error) {
	switch roleType {
	case "", "default", "service", "batch", "default-service", "default-batch":
	default:
		return model.TokenService, fmt.Errorf("invalid role token_type %q", roleType)
	}
	switch mountType {
	case "service":
		return model.TokenService, nil
	case "batch":
		return model.TokenBatch, nil
	case "", "default", "default-service":
		if roleType == "batch" || roleType == "default-batch" {
			return model.TokenBatch, nil
		}
		return model.TokenService, nil
	case "default-batch":
		if roleType == "service" || roleType == "default-service" {
			return model.TokenService, nil
		}
		return model.TokenBatch, nil
	}
	return model.TokenService, fmt.Errorf("invalid mount token_type %q", mountType)
}
