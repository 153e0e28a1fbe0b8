// Scenario: the reloading host links example.com/shared v1.0.0 (its go.mod's replace): a plugin
// built with v1.1.0 is refused, and plugin.Open keeps that refusal for the file's real path.
package main

import "example.com/shared"

// The host's own use of the package: without one, the linker leaves it out of the host, and a
// plugin would bring its own copy, of whatever version.
var hostAnswer = shared.Answer
