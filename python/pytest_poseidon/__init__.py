"""pytest-poseidon: poseidon, the AWS Application Discovery Service emulator,
as a pytest fixture. The plugin (pytest_poseidon.plugin) is registered through
the ``pytest11`` entry point; see docs/fixtures.md of the repository."""

from .server import PoseidonError, Server

__all__ = ["PoseidonError", "Server", "Poseidon"]


def __getattr__(name):
    # Poseidon lives with the plugin, which imports pytest: load it on use.
    if name == "Poseidon":
        from .plugin import Poseidon
        return Poseidon
    raise AttributeError(name)
