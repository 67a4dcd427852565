# hosts/python/python.mk -- the Python host: the pure-Python package
# hosts/python/pyreactor (ctypes over build/libpyreactor.so; nothing to
# compile) and its command. See hosts/python/README.md.
#
#   python-host   build/pyreactor-python: runs `python3 -m pyreactor` from
#                 the source tree (batch and call, the options of
#                 build/pyreactor)
#   python-test   the package's unit tests (tests/python/run.py)
#
# Debian's interpreter, not whatever python3 PATH finds first.
PYTHON_HOST_PY ?= /usr/bin/python3
PYTHON_HOST_SRC := $(wildcard hosts/python/pyreactor/*.py)

.PHONY: python-host python-test

python-host: $(BUILD)/pyreactor-python

$(BUILD)/pyreactor-python: hosts/python/launcher.sh hosts/python/python.mk $(PYTHON_HOST_SRC) \
    $(BUILD)/libpyreactor.so
	@mkdir -p $(@D)
	sed 's|@PYTHON@|$(PYTHON_HOST_PY)|' hosts/python/launcher.sh > $@.tmp
	chmod 755 $@.tmp
	mv $@.tmp $@

python-test: $(BUILD)/pyreactor-python
	$(PYTHON_HOST_PY) tests/python/run.py
