# Shortcuts for developers; scripts/ holds the real steps (README.md names them).
.PHONY: demo test build format clean
demo:
	scripts/demo
test:
	scripts/test
build:
	scripts/setup release
format:
	clang-format -i --style=file $$(git ls-files 'src/*.cc' 'src/*.h' 'test/*.cc' 'test/*.h' 'bench/*.cc' 'fuzz/*.cc')
clean:
	rm -rf build build-test
