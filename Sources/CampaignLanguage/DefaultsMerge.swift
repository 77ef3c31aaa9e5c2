import YAMLFrontEnd

/// Deep-merges a project's `defaults` under a campaign: the campaign's own values win; mappings merge key by key;
/// lists and scalars are replaced whole. Merged values keep their positions in `project.yaml`.
enum DefaultsMerge {
    /// `campaign` with `defaults` merged under it. Top-level defaults that do not apply to the campaign's type
    /// (`devices`, `audience`, `schedule`, `stopped` for identity sends; `channel` for segment campaigns;
    /// `platform_specific` for email) are left out, so one project can default both kinds.
    static func merge(_ campaign: YAMLNode, defaults: YAMLNode, isIdentity: Bool, isEmail: Bool) -> YAMLNode {
        guard let own = campaign.mapping, let defaultPairs = defaults.mapping else { return campaign }
        var extra = Array(defaultPairs)
        extra.removeAll { pair in
            guard let name = pair.key.scalar?.value else { return false }
            if isIdentity { return CampaignFields.segmentOnly.contains(name) || name == "audience" || (isEmail && name == "platform_specific") }
            return CampaignFields.identityOnly.contains(name)
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
