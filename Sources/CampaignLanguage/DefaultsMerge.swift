import YAMLFrontEnd

/// Deep-merges a project's `defaults` under a campaign: the campaign's own values win; mappings merge key by key;
/// lists and scalars are replaced whole. Merged values keep their positions in `project.yaml`.
enum DefaultsMerge {
    /// `campaign` with `defaults` merged under it. Top-level defaults that do not apply to the campaign's type
    /// (`devices`, `audience`, `schedule`, `stopped` and create-only options for identity sends; `channel` for
    /// segment campaigns) are left out, so one project can default both kinds.
    /// Fields that do not fit the campaign's channel are left out too: `platform_specific` for email and SMS,
    /// `devices` for every channel but push (a web push targets `web`; email and SMS take no devices), and the
    /// push-only options. `channel` is the channel the campaign's own document names (identity sends also take
    /// the defaulted one).
    static func merge(_ campaign: YAMLNode, defaults: YAMLNode, isIdentity: Bool, channel: String?) -> YAMLNode {
        guard let own = campaign.mapping, let defaultPairs = defaults.mapping else { return campaign }
        let isEmail = channel == "email"
        let noPlatforms = isEmail || channel == "sms"
        let notPush = channel != nil && channel != "push"
        var extra = Array(defaultPairs)
        extra.removeAll { pair in
            guard let name = pair.key.scalar?.value else { return false }
            if isIdentity { return CampaignFields.segmentOnly.contains(name) || name == "audience" || (noPlatforms && name == "platform_specific") }
            if CampaignFields.defaultsIgnoredForSegments.contains(name) { return true }
            return (noPlatforms && name == "platform_specific") || (notPush && name == "devices")
        }
        // Defaulted options that do not fit: create-only options for identity sends, push-only ones for other channels.
        let unfit = (isIdentity ? CampaignFields.createOptions : []) + (notPush ? CampaignFields.pushOnlyOptions : [])
        if !unfit.isEmpty {
            for index in extra.indices where extra[index].key.scalar?.value == "options" {
                if let pairs = extra[index].value.mapping {
                    let kept = pairs.filter { !unfit.contains($0.key.scalar?.value ?? "") }
                    extra[index].value = YAMLNode(.mapping(YAMLMapping(Array(kept))), at: extra[index].value.location, tag: extra[index].value.tag)
                }
            }
        }
        return YAMLNode(.mapping(YAMLMapping(mergePairs(Array(own), under: extra))), at: campaign.location, tag: campaign.tag)
    }

    private static func mergePairs(_ own: [YAMLPair], under defaults: [YAMLPair]) -> [YAMLPair] {
        var result = own
        for pair in defaults {
            guard let name = pair.key.scalar?.value else { continue }
            if let index = result.firstIndex(where: { $0.key.scalar?.value == name }) {
                let mine = result[index].value
                if let ownMap = mine.mapping, let defaultMap = pair.value.mapping {
                    result[index].value = YAMLNode(
                        .mapping(YAMLMapping(mergePairs(Array(ownMap), under: Array(defaultMap)))), at: mine.location, tag: mine.tag)
                }
            } else {
                result.append(pair)
            }
        }
        return result
    }
}
