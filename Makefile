# The two commands of the README. Both install what they need first (from the package registries only).
.PHONY: run test
run:
	bash tools/run.sh
test:
	bash tools/test.sh
