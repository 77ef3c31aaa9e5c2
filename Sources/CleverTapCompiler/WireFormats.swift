import CampaignModel

// CleverTap's wire formats for dates and times: the model keeps dates as dates; only the CleverTap side knows how
// the API writes them.

extension CalendarDate {
    /// `YYYYMMDD` as an integer, as the API takes dates (`from`, `to`, list windows).
    public var yyyymmdd: Int { year * 10_000 + month * 100 + day }
}

extension LocalDateTime {
    /// `YYYYMMDD HH:MM`, the API's `when` (written digit by digit: it is made for every scheduled campaign).
    public var apiValue: String {
        let day = date.yyyymmdd
        var dayDigits = 1
        var power = 10
        while power <= day {
            dayDigits += 1
            power *= 10
        }
        return String(unsafeUninitializedCapacity: dayDigits + 6) { text in
            var rest = day
            for index in stride(from: dayDigits - 1, through: 0, by: -1) {
                text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            text[dayDigits] = UInt8(ascii: " ")
            text[dayDigits + 1] = UInt8(ascii: "0") + UInt8(hour / 10)
            text[dayDigits + 2] = UInt8(ascii: "0") + UInt8(hour % 10)
            text[dayDigits + 3] = UInt8(ascii: ":")
            text[dayDigits + 4] = UInt8(ascii: "0") + UInt8(minute / 10)
            text[dayDigits + 5] = UInt8(ascii: "0") + UInt8(minute % 10)
            return dayDigits + 6
        }
    }
}
