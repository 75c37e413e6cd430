"""omniroute: routing and queueing for omnichannel contact centres.

Everything public is importable from here; strategies live in
:mod:`omniroute.strategies`.
"""

from omniroute.capacity import Capacity
from omniroute.errors import (
    CapacityError,
    DuplicateConversation,
    DuplicateGroup,
    DuplicateId,
    DuplicateOperator,
    FrozenMappingError,
    GroupInUse,
    InvalidTransition,
    JournalError,
    OmnirouteError,
    SnapshotError,
    UnknownConversation,
    UnknownGroup,
    UnknownId,
    UnknownOperator,
    ValidationError,
)
from omniroute.events import (
    Abandoned,
    Assigned,
    ConversationEvent,
    Event,
    Finished,
    GroupAdded,
    GroupRemoved,
    OperatorAdded,
    OperatorRemoved,
    OperatorUpdated,
    Queued,
    Requeued,
    StatusChanged,
    Submitted,
)
from omniroute.lifecycle import ConversationState
from omniroute.locked import LockedRouter
from omniroute.model import Channel, Conversation, Group, Operator, Status
from omniroute.router import Router
from omniroute.views import ConversationInfo, OperatorInfo

__version__ = "0.1.0.dev0"

__all__ = [
    "Abandoned",
    "Assigned",
    "Capacity",
    "CapacityError",
    "Channel",
    "Conversation",
    "ConversationEvent",
    "ConversationInfo",
    "ConversationState",
    "DuplicateConversation",
    "DuplicateGroup",
    "DuplicateId",
    "DuplicateOperator",
    "Event",
    "Finished",
    "FrozenMappingError",
    "Group",
    "GroupAdded",
    "GroupInUse",
    "GroupRemoved",
    "InvalidTransition",
    "JournalError",
    "LockedRouter",
    "OmnirouteError",
    "Operator",
    "OperatorAdded",
    "OperatorInfo",
    "OperatorRemoved",
    "OperatorUpdated",
    "Queued",
    "Requeued",
    "Router",
    "SnapshotError",
    "Status",
    "StatusChanged",
    "Submitted",
    "UnknownConversation",
    "UnknownGroup",
    "UnknownId",
    "UnknownOperator",
    "ValidationError",
]
