import CampaignCommands

// The `campaign` executable: everything is in the CampaignCommands library; this is its one entry point.
await CampaignCommand.runAndExit()
