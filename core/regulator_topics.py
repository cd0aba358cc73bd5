"""The regulator's topics, apart from its routing: those it subscribes to, those whose retained messages it ignores
(the meters', the mode's, the field features' live ones), the loads' command topics nobody reads and whether a
message is a command of its own loads. The daemon's link asks these at each connect.

A mixin of `core.regulator.Regulator`, as `core.life_cycle` is: the regulator's interface, read from its state
(declared below, set by `Regulator.__init__`)."""

from __future__ import annotations

from core import load_topics
from core.meter_intake import MeterIntake
from equipments.base import Equipment
from field.features import FieldFeatures
from settings.config import Settings


class RegulatorTopics:
    """Which topics the regulator reads, and how: the part of `Regulator` the link asks at a connect."""

    # The regulator's state these use (set by Regulator.__init__).
    settings: Settings
    loads: tuple[Equipment, ...]
    field: FieldFeatures
    _load_topics: dict[str, list[Equipment]]
    _meter_intake: MeterIntake

    def subscriptions(self) -> list[str]:
        """Every topic the regulator reads."""
        mq = self.settings.mqtt
        topics = [mq.topic_cons, mq.topic_prod, mq.topic_mode, *self._load_topics, *self._meter_intake.boots.topics(),
                  *self.field.subscriptions()]
        return list(dict.fromkeys(topics))

    def subscription_refused(self, topic: str) -> str | None:
        """What the broker's refusal of the subscription to `topic` costs, when it is not what the daemon says of any
        refusal (FieldFeatures.subscription_refused); None otherwise."""
        return self.field.subscription_refused(topic)

    def unretained_command_topics(self) -> list[str]:
        """The topics the loads' commands go to not retained (a variator's; a relay on domoticz/in) and that are
        not read: a retained message there is someone else's, taken as an order at every reconnect."""
        return load_topics.unretained_command_topics(self.loads, set(self.subscriptions()))

    def is_own_command(self, topic: str, payload: bytes) -> bool:
        """`payload` on `topic` is a command a load of ours sends there: any on a variator's own topic, a
        relay's on or off payload on a shared one (domoticz/in carries every device's orders)."""
        return load_topics.is_own_command(self.loads, topic, payload)

    def reading_topics(self) -> set[str]:
        """The meters' topics: the house, the production, and the loads' own meters."""
        return {self.settings.mqtt.topic_cons, self.settings.mqtt.topic_prod,
                *load_topics.own_meter_topics(self.loads)}

    def live_only_topics(self) -> set[str]:
        """Topics whose retained messages must be ignored: an old reading or command is not news (`<topic>/#`: the
        topic and every topic under it)."""
        topics = self.reading_topics()
        topics.add(self.settings.mqtt.topic_mode)
        topics.update(self.field.live_only_topics())
        return topics

