import Diagnostics

/// Stable codes of the campaign language's diagnostics. `docs/LANGUAGE.md` explains each one.
public enum CampaignDiagnosticCode {
    /// A key the language does not know.
    public static let unknownKey: DiagnosticCode = "C001"
    /// A value of the wrong type (a list where a string belongs, `yes` where a boolean belongs, …).
    public static let wrongType: DiagnosticCode = "C002"
    /// A required field is missing.
    public static let missingField: DiagnosticCode = "C003"
    /// A value outside the allowed set or form.
    public static let invalidValue: DiagnosticCode = "C004"
    /// A string that must not be empty is empty.
    public static let emptyValue: DiagnosticCode = "C005"
    /// A field that does not belong to this campaign type.
    public static let notForType: DiagnosticCode = "C006"
    /// A file that holds no campaign.
    public static let noCampaign: DiagnosticCode = "C007"
    /// A campaign key that breaks the key rules.
    public static let invalidKey: DiagnosticCode = "C010"
    /// Several campaigns in one file without explicit keys.
    public static let keyRequired: DiagnosticCode = "C011"
    /// Two campaigns with the same key.
    public static let duplicateKey: DiagnosticCode = "C012"
    /// Two campaigns with the same name.
    public static let duplicateName: DiagnosticCode = "C013"
    /// More than 20 distinct tag groups in the project.
    public static let tooManyTagGroups: DiagnosticCode = "C014"
    /// `audience.all` combined with filters, or `all: false`.
    public static let audienceConflict: DiagnosticCode = "C020"
    /// `from`/`to` without `event`, or only one of them.
    public static let dateRangeIncomplete: DiagnosticCode = "C021"
    /// A date that is not `YYYY-MM-DD` or does not exist.
    public static let invalidDate: DiagnosticCode = "C022"
    /// `from` after `to`.
    public static let dateRangeReversed: DiagnosticCode = "C023"
    /// An audience that selects nobody (no filters, no recipients).
    public static let emptyAudience: DiagnosticCode = "C024"
    /// An email address that does not look like one.
    public static let invalidEmail: DiagnosticCode = "C030"
    /// A recipient listed twice (dropped).
    public static let duplicateRecipient: DiagnosticCode = "C031"
    /// A recipient CSV file that cannot be read or parsed.
    public static let csvProblem: DiagnosticCode = "C032"
    /// A recipient file outside the project folder: an absolute path, a path climbing out with `..`, or a link
    /// leading out.
    public static let resourceOutsideProject: DiagnosticCode = "C033"
    /// A `platform_specific` platform that is not among `devices`.
    public static let platformNotInDevices: DiagnosticCode = "C040"
    /// Android without `wzrk_cid`: CleverTap rejects it (HTTP 400, code 9).
    public static let missingNotificationChannel: DiagnosticCode = "C041"
    /// A number with a leading zero, read as a number (quote it to keep the string).
    public static let leadingZero: DiagnosticCode = "C042"
    /// A schedule that is not `now`, `YYYY-MM-DD HH:MM` or ISO 8601 with an offset.
    public static let invalidSchedule: DiagnosticCode = "C050"
    /// A wall-clock schedule that does not exist in the account's time zone, or happens twice there (a
    /// daylight-saving change); the warning names the instant used.
    public static let daylightSavingSchedule: DiagnosticCode = "C051"
    /// A problem in `project.yaml`.
    public static let projectFile: DiagnosticCode = "C060"
    /// An unknown IANA time zone.
    public static let invalidTimezone: DiagnosticCode = "C061"
    /// A time zone Foundation knows that is not an IANA region name (`EST`, `CET`, `GMT+1`, `Zulu`).
    public static let timezoneNotARegion: DiagnosticCode = "C062"
    /// `provider:` names a provider this build does not have.
    public static let unknownProvider: DiagnosticCode = "C070"
    /// A field that does not belong to the campaign's channel (`devices` of an email, `ttl` of an SMS, …).
    public static let notForChannel: DiagnosticCode = "C008"
    /// A profile operator that does not fit its value's type (`greater_than` with a string), or that is unknown.
    public static let operatorNotForType: DiagnosticCode = "C025"
    /// Delivery times out of order or listed twice, or a cutoff not after the first time.
    public static let deliveryTimes: DiagnosticCode = "C052"
}
