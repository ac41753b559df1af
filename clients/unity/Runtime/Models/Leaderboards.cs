using System;

namespace Playerbase
{
    /// <summary>The top of a leaderboard: <c>GET /api/v1/leaderboards/{stat}</c>.</summary>
    [Serializable]
    public class Leaderboard
    {
        public string stat;
        public string period;
        /// <summary>Players on this board: those awarded this stat in this period.</summary>
        public long total;
        public LeaderboardEntry[] entries;
    }

    [Serializable]
    public class LeaderboardEntry
    {
        /// <summary>1 + the number of players with a strictly better value; ties share a rank.</summary>
        public long rank;
        public long player_id;
        public string username;
        public long value;
    }

    /// <summary>A player's rank and neighbours: <c>GET /api/v1/leaderboards/{stat}/players/{id}</c>.</summary>
    [Serializable]
    public class PlayerRank
    {
        public string stat;
        public string period;
        public long rank;
        public long value;
        /// <summary>The player and up to <c>radius</c> neighbours each side.</summary>
        public LeaderboardEntry[] entries;
    }

    /// <summary>Leaderboard periods the server knows.</summary>
    public static class Periods
    {
        public const string All = "all";
        public const string Day = "day";
        public const string Week = "week";
        public const string Month = "month";
        public const string Stream = "stream";
    }
}
