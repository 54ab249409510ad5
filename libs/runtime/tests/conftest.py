# The root conftest.py registers this plugin for the whole repo with
# `pytest_plugins = ["certreg_runtime.testing.plugin"]`; pytest refuses `pytest_plugins`
# in a conftest below the rootdir, so register it here only when that has not happened.
PLUGIN = "certreg_runtime.testing.plugin"


def pytest_configure(config):
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)
