package podsecurity

// Remediation renders the fix of an offending field as the sentence users
// read: "set PATH: VALUE", "remove PATH (WHAT)" or "change PATH". path is
// the field's path in the object reported (Field.Path, prefixed for a pod
// template).
func Remediation(path string, fix Fix) string {
	switch fix.Op {
	case FixSet:
		return "set " + path + ": " + fix.Value
	case FixRemove:
		if fix.Value != "" {
			return "remove " + path + " (" + fix.Value + ")"
		}
		return "remove " + path
	}
	return "change " + path
}
