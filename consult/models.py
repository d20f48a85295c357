"""Every model, imported in one place so that Alembic and the tests see them all."""
from consult.accounts.models import (  # noqa: F401
    LoginAttempt, LoginSession, PasswordReset, RecoveryCode, User, UserRole)
from consult.audit.models import AuditEvent  # noqa: F401
from consult.organisations.models import Organisation, Team, TeamMembership  # noqa: F401
from consult.clients.models import Client  # noqa: F401
from consult.consents.models import Consent, consent_organisation  # noqa: F401
from consult.catalogue.models import Service  # noqa: F401
from consult.consultations.models import (  # noqa: F401
    ConsultationRequest, Notification, PreForm, PreFormVersion, RequestEvent, RequestGuest,
    RequestMessage, request_event_service)
from consult.scheduling.models import (  # noqa: F401
    AvailabilityException, AvailabilityRule, Booking, Slot, SlotProposal)
from consult.meetings.models import (  # noqa: F401
    AgendaGuest, AgendaItem, Attendance, Delivery, Meeting, MeetingSeries)
from consult.protocols.models import ActionItem, Addendum, Protocol, Recommendation  # noqa: F401
from consult.followups.models import FollowUp  # noqa: F401
from consult.outbox.models import OutboxMessage, ReminderRun  # noqa: F401
from consult.invites.models import CalendarFeed  # noqa: F401
from consult.indicators.models import IndicatorCount, IndicatorFact  # noqa: F401
