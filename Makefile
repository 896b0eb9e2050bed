# The two commands of the README. Both install what they need first (from the package registries only).
.PHONY: run test demo
run:
	bash tools/run.sh
test:
	bash tools/test.sh
# The server with both emulators in-process and a demo account; prints a one-time sign-in link.
demo:
	bash tools/run.sh demo
