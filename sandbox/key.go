package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
)

// NamespaceKey is the key that signs the callbacks of namespace name,
// given the sandbox's callback key: the key itself for the default
// namespace, and a key derived from it (HMAC-SHA256 of the name) for each
// other one, so a callback issued in one namespace is not attributed in
// another. A nil key stays nil: each namespace then draws a random key.
func NamespaceKey(key []byte, name string) []byte {
	if key == nil || name == DefaultNamespace {
		return key
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("postbacksim namespace " + name))
	return m.Sum(nil)
}
