package dist

const netnsHelperEnv = "GERL_DIST_NETNS_HELPER"

func netnsHelperMain() int { return 0 }
