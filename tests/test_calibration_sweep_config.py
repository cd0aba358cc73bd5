"""The sweep reads the daemon's config as the daemon does: TLS files, topic_regul, inline comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration.sweep_config import SweepConfigError, load_sweep_target
from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import LINEAR_CSV
from tests.test_tls import make_certificates

LOAD = "[ecs]\ntopic_set_power = regul/vload/ECS/cmd\ntopic_read_power = smeter/pzem/ECS\n"


def _config(directory: Path, mqtt: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.ini"
    path.write_text(f"[mqtt]\n{mqtt}\n{LOAD}")
    return path


def test_relative_tls_files_are_relative_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    etc = tmp_path / "etc"
    (etc / "certs").mkdir(parents=True)
    make_certificates(etc)  # ca.crt, and a certificate (server.crt) with its own key (server.key)
    (etc / "certs" / "ca.pem").write_bytes((etc / "ca.crt").read_bytes())
    key = (etc / "server.key").resolve()
    config = _config(etc, f"tls = true\nca_file = certs/ca.pem\ncert_file = server.crt\nkey_file = {key}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    target = load_sweep_target(Path("..") / "etc" / "config.ini", "ecs")
    etc = config.parent.resolve()
    assert target.ca_file == str(etc / "certs" / "ca.pem")
    assert target.cert_file == str(etc / "server.crt")
    assert target.key_file == str(key)


def test_topic_regul_loses_its_trailing_slash(tmp_path: Path) -> None:
    target = load_sweep_target(_config(tmp_path, "topic_regul = home/regul/"), "ecs")
    assert target.topic_availability == "home/regul/availability"


def test_inline_comments_and_the_seeds_none(tmp_path: Path) -> None:
    config = _config(tmp_path, "broker_ip = 10.0.0.2   ; the NAS\nport = 1884 ; not the default\n"
                               "username = None\ntopic_regul = regul ; root\n")
    target = load_sweep_target(config, "ecs")
    assert (target.host, target.port, target.username) == ("10.0.0.2", 1884, None)
    assert target.topic_availability == "regul/availability"


@pytest.mark.parametrize("mqtt", ["host = None\nbroker_ip = 10.0.0.2\n", "broker_ip = 10.0.0.2\nhost = None\n"])
def test_host_none_beside_broker_ip_is_the_daemons_default_broker(tmp_path: Path, mqtt: str) -> None:
    # The daemon reads the first key given, host (warned: given as both; None means not set), so the default broker.
    # The sweep skipped host's None and took broker_ip: it drove the variator through another broker than the
    # daemon's.
    assert load_sweep_target(_config(tmp_path, mqtt + "port = 9\n"), "ecs").host == "127.0.0.1"


def test_a_broken_ini_is_one_message_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.ini"
    path.write_text("[mqtt]\nport = 1883\n[mqtt]\n" + LOAD)
    with pytest.raises(SweepConfigError) as caught:
        load_sweep_target(path, "ecs")
    assert str(caught.value).startswith(f"{path}: [mqtt]: the section is written twice (lines 1 and 3)")
    path.write_text("[mqtt]\nport 1883\n" + LOAD)  # (a line without =: the parser's own words)
    with pytest.raises(SweepConfigError) as caught:
        load_sweep_target(path, "ecs")
    assert str(caught.value).startswith(f"{path}: cannot parse: ") and "'port 1883" in str(caught.value)


def test_the_variator_status_topic_is_the_daemons(tmp_path: Path) -> None:
    # Its boot_detected re-commands the step: the sweep listens where the daemon does.
    assert load_sweep_target(_config(tmp_path / "a", ""), "ecs").topic_variator_status == "regul/vload/ECS"
    config = _config(tmp_path / "b", "")
    config.write_text(config.read_text() + "topic_status = shellies/dimmer/status\n")
    assert load_sweep_target(config, "ecs").topic_variator_status == "shellies/dimmer/status"
    config.write_text(config.read_text().replace("shellies/dimmer/status", "home/+/status"))
    with pytest.raises(SweepConfigError, match=r"\[ecs\] topic_status: 'home/\+/status' holds a wildcard"):
        load_sweep_target(config, "ecs")


def test_frozen_meter_is_the_daemons(tmp_path: Path) -> None:
    assert load_sweep_target(_config(tmp_path / "a", ""), "ecs").frozen_meter
    config = _config(tmp_path / "b", "")
    config.write_text(config.read_text() + "[evaluate]\nfrozen_meter = no ; a meter sending only its power\n")
    assert not load_sweep_target(config, "ecs").frozen_meter
    config.write_text(config.read_text().replace("= no", "= maybe"))
    with pytest.raises(SweepConfigError, match=r"\[evaluate\] frozen_meter: expected true or false, got 'maybe'"):
        load_sweep_target(config, "ecs")


def test_max_meter_power_is_the_daemons(tmp_path: Path) -> None:
    assert load_sweep_target(_config(tmp_path / "a", ""), "ecs").max_meter_power_w == 30000.0
    config = _config(tmp_path / "b", "")
    config.write_text(config.read_text() + "[evaluate]\nmax_meter_power = 9000 ; watts\n")
    assert load_sweep_target(config, "ecs").max_meter_power_w == 9000.0
    config.write_text(config.read_text().replace("= 9000", "= 0"))
    with pytest.raises(SweepConfigError, match=r"\[evaluate\] max_meter_power: must be >= 100, got 0"):
        load_sweep_target(config, "ecs")


@pytest.mark.parametrize(("mqtt", "meter", "said"), [
    ("", "regul/vload/ECS", "[ecs] topic_read_power: 'regul/vload/ECS' is the variator's status topic"),
    ("", "smeter/pzem/CONSOMMATION", "[ecs] topic_read_power: 'smeter/pzem/CONSOMMATION' is [mqtt] topic_cons"),
    ("topic_prod = pv/meter\n", "pv/meter", "[ecs] topic_read_power: 'pv/meter' is [mqtt] topic_prod"),
])
def test_a_meter_that_is_not_the_loads_own_is_refused(tmp_path: Path, mqtt: str, meter: str, said: str) -> None:
    # The variator's answers say "power": 0 (it does not measure) and come once a command: the sweep stopped as if
    # the meter were silent. The house's meters read the house: an hour swept for a curve with the house's
    # consumption in it, or refused by the fit.
    config = _config(tmp_path, mqtt)
    config.write_text(config.read_text().replace("smeter/pzem/ECS", meter))
    with pytest.raises(SweepConfigError, match="the load's own meter") as caught:
        load_sweep_target(config, "ecs")
    assert said in str(caught.value)


def test_tls_files_the_tls_library_refuses_are_config_problems(tmp_path: Path) -> None:
    # The daemon's --check finds them; the sweep ended in a FileNotFoundError or ssl.SSLError traceback.
    config = _config(tmp_path, "tls = true\nca_file = nowhere.pem\n")
    with pytest.raises(SweepConfigError, match=rf"\[mqtt\] ca_file: {tmp_path / 'nowhere.pem'} does not exist"):
        load_sweep_target(config, "ecs")
    (tmp_path / "nowhere.pem").write_text("not a certificate\n")
    with pytest.raises(SweepConfigError, match=r"\[mqtt\] ca_file: holds no CA certificate PySEB can read"):
        load_sweep_target(config, "ecs")


def test_an_empty_json_read_power_is_refused_as_the_daemon_refuses_it(tmp_path: Path) -> None:
    # `json_read_power =` read as "power" here while the daemon's --check refused it: one file, two verdicts.
    config = _config(tmp_path, "")
    config.write_text(config.read_text() + "json_read_power =\n")
    with pytest.raises(SweepConfigError, match=r"\[ecs\] json_read_power: is empty: give a value, or delete the line"):
        load_sweep_target(config, "ecs")
    config.write_text(config.read_text().replace("json_read_power =", "json_read_power = None"))
    assert load_sweep_target(config, "ecs").json_read_power == "power"  # (the seed's None: not set, as the daemon)


@pytest.mark.parametrize(("line", "said"), [
    ("port =", "[mqtt] port: is empty: give a value, or delete the line for the default, 1883"),
    ("host =", "[mqtt] host: is empty: give a value, or delete the line for the default, 127.0.0.1"),
    ("broker_ip =", "[mqtt] broker_ip: is empty: give a value, or delete the line for the default, 127.0.0.1"),
    ("keepalive =", "[mqtt] keepalive: is empty: give a value, or delete the line for the default, 60"),
    ("tls =", "[mqtt] tls: is empty: give a value, or delete the line for the default, false"),
    ("topic_regul =", "[mqtt] topic_regul: is empty: give a value, or delete the line for the default, regul"),
])
def test_an_empty_broker_key_is_refused_as_the_daemon_refuses_it(tmp_path: Path, line: str, said: str) -> None:
    # `port =` (the value deleted) was read as 1883 here, while the daemon's --check refused the file: the sweep
    # connected to and drove a variator through the machine's own broker, not the one the owner was editing in.
    given = {"host": "127.0.0.1", "port": "9"}  # (the key under test given empty instead; broker_ip is host's)
    given.pop({"broker_ip": "host"}.get(line.split()[0], line.split()[0]), None)
    config = _config(tmp_path, "".join(f"{key} = {value}\n" for key, value in given.items()) + f"{line}\n")
    with pytest.raises(SweepConfigError) as caught:
        load_sweep_target(config, "ecs")
    assert said in str(caught.value), str(caught.value)
    assert len(str(caught.value).splitlines()) == 1, str(caught.value)


# A file the daemon's --check takes whole but for its [mqtt] section (given by each case).
DAEMON_CONFIG = ("[mqtt]\n{mqtt}\n\n[equipments]\necs = water_heater\n\n[ecs]\nmin_power = 101\ncalibration = c.csv\n"
                 "topic_set_power = regul/vload/ECS/cmd\ntopic_read_power = smeter/pzem/ECS\n")


@pytest.mark.parametrize("mqtt", [
    "port = 9\ntls = ok",  # (Coturex's set and unset words: the sweep refused them)
    "port = 9\ntls = nok",
    "port = 9\nusername = me\n  password = secret",  # (the sweep's user name was 'me\npassword = secret')
    "port = 9\ntls = true\nkey_file = client.key",  # (no cert_file: the sweep took it)
    "port = 9\ntopic_cons =",
    "port = 9\n\n[DEFAULT]\nkeepalive = 30",  # (the sweep used it, the daemon refuses it)
    "port = 9\n\n[evaluate]\nfrozen_meter =",  # (read as the default here)
    "port = abc",
    "port = 0",
    "port = 9\nkeepalive = 4",
    "port = 9\nkeepalive = 3601",
    "port = 9\ntls = maybe",
    "port = 1_884\ntls = True\nkeepalive = 1_0",
    "broker_ip = 10.0.0.2\nport = 9\nusername = None\npassword = pw ; note\ntopic_regul = home/",
])
def test_the_broker_is_read_as_the_daemon_reads_it(tmp_path: Path, mqtt: str) -> None:
    # Two readers of [mqtt] drifted apart (an empty `port =` read as 1883 here, refused by the daemon): the sweep
    # reads it with the daemon's own, so one file has one broker, or the same problems, named alike.
    (tmp_path / "c.csv").write_text(LINEAR_CSV)
    (tmp_path / "client.key").write_text("a key, without its certificate\n")
    config = tmp_path / "config.ini"
    config.write_text(DAEMON_CONFIG.format(mqtt=mqtt))
    try:
        m = load_settings(config).mqtt
        daemon: object = (m.host, m.port, m.keepalive, m.username, m.password, m.tls, m.key_file,
                          f"{m.topic_regul}/availability")
    except ConfigError as exc:
        daemon = [problem.render(str(config)) for problem in exc.problems]
    try:
        t = load_sweep_target(config, "ecs")
        sweep: object = (t.host, t.port, t.keepalive_s, t.username, t.password, t.tls, t.key_file, t.topic_availability)
    except SweepConfigError as exc:
        sweep = str(exc).splitlines()
    assert sweep == daemon


@pytest.mark.parametrize("kind", ["constant", "unknown", "Constant"])
def test_a_load_that_is_no_variator_is_refused(tmp_path: Path, kind: str) -> None:
    # The seed's sample lists its relay (`resille = constant`, commanded through domoticz/in). Given a meter, its
    # sweep sent `100.0` down to `0.0` to domoticz/in: percents to a relay's topic, which no relay takes.
    config = tmp_path / "config.ini"
    config.write_text(f"[mqtt]\nport = 9\n\n[equipments]\necs = water_heater\nresille = {kind}\n\n{LOAD}\n"
                      "[resille]\nmax_power = 596\ntopic_set_power = domoticz/in\ntopic_read_power = smeter/pzem/RES\n")
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(config, "resille")
    said = str(refused.value)
    assert f"[equipments] resille = {kind}" in said and "variable" in said
    assert load_sweep_target(config, "ecs").topic_set_power == "regul/vload/ECS/cmd"  # the variator still sweeps


def test_a_missing_section_names_the_loads_not_the_other_sections(tmp_path: Path) -> None:
    # The seed's sample keeps a spare [soufflant_a] not in [equipments]; a config with the field features has
    # [fallback], [homeassistant]... All were listed as "loads in this file", and `ECS` for [ecs] got no hint.
    config = tmp_path / "config.ini"
    config.write_text(f"[mqtt]\nport = 9\n\n[equipments]\necs = water_heater\n\n{LOAD}\n"
                      "[soufflant_a]\nmax_power = 500\n[fallback]\nseed_rule = false\n"
                      "[homeassistant]\ndiscovery = true\n")
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(config, "ECS")
    said = str(refused.value)
    assert "no section [ECS] (loads in this file: ecs; section names differ in case: --equipment ecs)" in said


@pytest.mark.parametrize("section", ["mqtt", "evaluate"])
def test_pysebs_own_section_given_as_the_load_is_said_so(tmp_path: Path, section: str) -> None:
    # `--equipment mqtt` said "[mqtt] topic_set_power is missing: the variator's command topic"
    config = tmp_path / "config.ini"
    config.write_text(f"[mqtt]\nport = 9\n\n[evaluate]\nperiod = 1\n\n[equipments]\necs = water_heater\n\n{LOAD}\n")
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(config, section)
    assert str(refused.value) == (f"{config}: [{section}] is PySEB's own section, not a load: give --equipment a "
                                  "load's name (loads in this file: ecs)")


def test_coturexs_older_equipment_section_is_said_not_listed_as_a_load(tmp_path: Path) -> None:
    # Coturex's older [equipment] with eq_1_* keys: the sweep listed "equipment" as the file's one load.
    config = tmp_path / "config.ini"
    config.write_text("[mqtt]\nport = 9\n\n[equipment]\neq_1_name = ecs\neq_1_type = water_heater\n"
                      "eq_1_topic = regul/vload/ECS\n")
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(config, "ecs")
    said = str(refused.value)
    assert "(loads in this file: none; " in said
    assert "[equipment] (eq_1_* keys, an older format) is not read: list the loads in [equipments]" in said


def test_a_relay_section_that_equipments_does_not_list_is_refused(tmp_path: Path) -> None:
    # The seed's sample keeps a spare relay section, [soufflant_a], out of [equipments]; filled in (json_on/json_off,
    # on domoticz/in) and given a meter, its sweep sent `100.0` down to `0.0` to the relay's topic.
    config = tmp_path / "config.ini"
    config.write_text(f"[mqtt]\nport = 9\n\n[equipments]\necs = water_heater\n\n{LOAD}\n"
                      "[soufflant_a]\nmax_power = 500\ntopic_set_power = domoticz/in\n"
                      "topic_read_power = smeter/pzem/S\n"
                      'json_on = {"command": "switchlight", "idx": 360, "switchcmd": "On"}\n'
                      'json_off = {"command": "switchlight", "idx": 360, "switchcmd": "Off"}\n')
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(config, "soufflant_a")
    said = str(refused.value)
    assert "[soufflant_a] json_on" in said and "relay" in said


@pytest.mark.parametrize(("kind", "relay_lines"), [
    ("variable", "json_on = ON\njson_off = OFF\ntopic_set_power = cmnd/soufflant/POWER\n"),
    ("water_heater", "json_on = None\ntopic_set_power = cmnd/soufflant/POWER\n"),
    ("variable", "topic_set_power = domoticz/in\n"),
])
def test_a_relay_section_listed_as_variable_is_refused_as_the_daemon_says_it(tmp_path: Path, kind: str,
                                                                           relay_lines: str) -> None:
    # Coturex's regulation.py ran every `variable` load after its first as a relay: a seed config lists a relay as
    # variable, with its json_on/json_off. The daemon says "write soufflant = constant" (and "or measure one: ...
    # calibration sweep"); the sweep sent it `100.0`..`0.0` on its relay's topic (domoticz/in: to Domoticz), waited
    # the 500 s warm-up and blamed the 0 W read on a hot tank or a meter in kilowatts.
    config = tmp_path / "config.ini"
    config.write_text(f"[mqtt]\nport = 9\n\n[equipments]\necs = water_heater\nsoufflant = {kind}\n\n{LOAD}\n"
                      f"[soufflant]\nmax_power = 500\ntopic_read_power = smeter/pzem/S\n{relay_lines}")
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(config, "soufflant")
    said = str(refused.value)
    assert "relay" in said and "soufflant = constant" in said
    assert load_sweep_target(config, "ecs").topic_set_power == "regul/vload/ECS/cmd"  # the variator still sweeps


def test_the_mosquitto_pub_lines_name_the_broker(tmp_path: Path) -> None:
    # A hint without -h and -p goes to localhost:1883: on another machine, or another port, to another broker.
    target = load_sweep_target(_config(tmp_path / "plain", "host = broker.lan\nport = 1884\n"), "ecs")
    assert target.mosquitto_pub("-t", "regul/vload/ECS/cmd", "-m", "on") == \
        "mosquitto_pub -h broker.lan -p 1884 -t regul/vload/ECS/cmd -m on"
    user = load_sweep_target(_config(tmp_path / "user", "host = broker.lan\nusername = pi\npassword = s3cret\n"),
                             "ecs")
    line = user.mosquitto_pub("-r", "-n", "-t", "a topic")
    assert line == "mosquitto_pub -h broker.lan -p 1883 -r -n -t 'a topic' (with your broker's user and TLS options)"


def test_a_json_read_power_path_with_an_empty_name_is_refused_as_the_daemon_refuses_it(tmp_path: Path) -> None:
    config = _config(tmp_path, "")
    config.write_text(config.read_text() + "json_read_power = ENERGY..Power\n")
    with pytest.raises(SweepConfigError, match=r"\[ecs\] json_read_power: 'ENERGY..Power' has an empty name"):
        load_sweep_target(config, "ecs")
    config.write_text(config.read_text().replace("ENERGY..Power", "ENERGY.Power"))  # (a Tasmota plug's)
    assert load_sweep_target(config, "ecs").json_read_power == "ENERGY.Power"


def test_a_json_read_power_path_with_spaces_around_a_name_is_refused_as_the_daemon_refuses_it(tmp_path: Path) -> None:
    config = _config(tmp_path, "")
    config.write_text(config.read_text() + "json_read_power = ENERGY . Power\n")
    with pytest.raises(SweepConfigError, match=r"\[ecs\] json_read_power: 'ENERGY . Power' has spaces around a name"):
        load_sweep_target(config, "ecs")
