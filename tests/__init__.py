"""Tests of sage_dmo, run against the emulator over loopback."""
