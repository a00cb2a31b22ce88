// The rule language lives here.
