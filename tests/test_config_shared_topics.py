"""One topic for two roles outside [mqtt]'s own, refused by the config check. Each went through without a word: the
force topic on Domoticz's output (every device update refused as a mode command), a relay commanded under it (its own
orders read back as junk at every switch), PySEB's status written into Domoticz's input, a relay's ON sent to the
variator's status topic, the heater's meter or the variator's commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from tests.configs import problems_of, seed_config, write_config

MODE_SELECTOR = ("send_domoticz = True\n", "send_domoticz = True\nidx_ecs_mode = 412\n")


@pytest.mark.parametrize(("edits", "said"), [
    ([("topic_force= None", "topic_force= domoticz/out"), MODE_SELECTOR],
     "[domoticz] topic_out: [mqtt] topic_force ('domoticz/out') is under it, read as Domoticz's output "
     "(domoticz/out/#)"),
    ([("topic_set_power = domoticz/in", "topic_set_power = domoticz/out/Resille_Couloir"), MODE_SELECTOR],
     "[resille] topic_set_power: 'domoticz/out/Resille_Couloir' is under [domoticz] topic_out (domoticz/out/#)"),
    ([("topic_status = regul/status", "topic_status = domoticz/in")],
     "[domoticz] topic_in: 'domoticz/in' is also [mqtt] topic_status: each needs its own topic"),
    ([("topic_set_power = domoticz/in", "topic_set_power = regul/vload/ECS")],
     "[resille] topic_set_power: 'regul/vload/ECS' is also a topic [ecs] reads (its device's answers)"),
    ([("topic_set_power = domoticz/in", "topic_set_power = smeter/pzem/ECS")],
     "[resille] topic_set_power: 'smeter/pzem/ECS' is also [ecs] topic_read_power"),
    ([("topic_set_power = domoticz/in", "topic_set_power = regul/vload/ECS/cmd")],
     "[resille] topic_set_power: 'regul/vload/ECS/cmd' is also [ecs] topic_set_power, a variator's commands"),
    # (PySEB's status read as the variator's junk answers every few seconds, its own never heard: a reboot's resend
    # lost; given, or made from the command topic)
    ([("topic_set_power = regul/vload/ECS/cmd", "topic_set_power = regul/vload/ECS/cmd\ntopic_status = regul/status")],
     "[ecs] topic_status: 'regul/status', where the load reads its device's answers, is also [mqtt] topic_status"),
    ([("topic_set_power = regul/vload/ECS/cmd", "topic_set_power = regul/mode/cmd")],
     "[ecs] topic_set_power: 'regul/mode', where the load reads its device's answers, is also [mqtt] topic_mode"),
    ([("[ecs]", "[forecast]\ntopic = domoticz/in\n\n[ecs]")],
     "[forecast] topic: 'domoticz/in' is also [domoticz] topic_in, where PySEB sends its grid sensors"),
], ids=["force on topic_out", "relay under topic_out", "status on topic_in", "relay on the variator's status",
        "relay on the heater's meter", "relay on the variator's commands", "variator answers on the status",
        "variator answers made on the mode", "forecast on topic_in"])
def test_two_roles_on_one_topic_are_refused(tmp_path: Path, edits: list[tuple[str, str]], said: str) -> None:
    problems = problems_of(seed_config(tmp_path, *edits))
    assert any(said in problem for problem in problems), problems


def test_the_other_key_of_a_pair_is_named_as_the_file_names_it(tmp_path: Path) -> None:
    # "[mqtt] topic_status: 'regul/status' is also [mqtt] topic_mode": the file has the seed's topic_force, no such key
    problems = problems_of(seed_config(tmp_path, ("topic_force= None", "topic_force= regul/status")))
    assert any("'regul/status' is also [mqtt] topic_force: each needs its own topic" in p for p in problems), problems
    problems = problems_of(seed_config(tmp_path, ("topic_force= None", "topic_force= cmnd/x"),
                                       ("topic_set_power = domoticz/in", "topic_set_power = cmnd/x")))
    assert any("'cmnd/x' is also [mqtt] topic_force" in p for p in problems), problems


def test_two_loads_on_one_relay_are_warned(tmp_path: Path) -> None:
    # (a copied section: one 1000 W relay counted as 2000 W, each load switching the other, and --check said OK)
    path = write_config(tmp_path, ("radiator", "small"))
    path.write_text(path.read_text().replace("topic_set_power = regul/cload/small",
                                             "topic_set_power = cmnd/radiator/POWER\njson_on = on\njson_off = off"))
    warned = [w.split(": ", 1)[1] for w in load_settings(path).warnings if "one device" in w]
    assert warned == ["[small] topic_set_power: 'cmnd/radiator/POWER' with json_on 'on' is also [radiator]'s: one "
                      "device for two loads (its watts counted twice, switching one switches both)"]
    path.write_text(path.read_text().replace("json_on = on\njson_off = off", "json_on = ON2\njson_off = OFF2"))
    assert not [w for w in load_settings(path).warnings if "one device" in w]  # (another order on one topic)


def test_the_seed_s_relays_share_domoticz_s_input(tmp_path: Path) -> None:
    # Domoticz's input is every Domoticz relay's command topic, and PySEB's sensor updates': no problem.
    text = seed_config(tmp_path, MODE_SELECTOR).read_text()
    path = tmp_path / "config.ini"
    path.write_text(text + '\n[towel]\nmax_power = 300\ntopic_set_power = domoticz/in\njson_on = {"command": '
                    '"switchlight", "idx": 360, "switchcmd": "On"}\njson_off = {"command": "switchlight", "idx": 360, '
                    '"switchcmd": "Off"}\n')
    path.write_text(path.read_text().replace("resille = constant\n", "resille = constant\ntowel = constant\n"))
    load_settings(path)
