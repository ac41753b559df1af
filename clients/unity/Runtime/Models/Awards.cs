using System;

namespace Playerbase
{
    /// <summary>One stat and the amount to award it by (how it combines is the stat's <c>op</c>).</summary>
    public struct StatAmount
    {
        public readonly string Stat;
        public readonly long Amount;

        public StatAmount(string stat, long amount)
        {
            Stat = stat;
            Amount = amount;
        }
    }

    /// <summary>One award of a batch: to a player id, or to a linked Twitch user id.</summary>
    public struct BatchAward
    {
        public readonly long PlayerId;
        public readonly string TwitchUserId;
        public readonly string Stat;
        public readonly long Amount;

        private BatchAward(long playerId, string twitchUserId, string stat, long amount)
        {
            PlayerId = playerId;
            TwitchUserId = twitchUserId;
            Stat = stat;
            Amount = amount;
        }

        public static BatchAward ToPlayer(long playerId, string stat, long amount)
        {
            return new BatchAward(playerId, null, stat, amount);
        }

        public static BatchAward ToTwitchUser(string twitchUserId, string stat, long amount)
        {
            return new BatchAward(0, twitchUserId, stat, amount);
        }
    }

    /// <summary>The answer to an award to one player: every stat after it.</summary>
    [Serializable]
    public class AwardResult
    {
        public long player_id;
        public Stats stats;
    }

    /// <summary>The answer to a batch: how many awards were applied (all of them).</summary>
    [Serializable]
    public class BatchResult
    {
        public long applied;
    }

    /// <summary>A page of a player's award ledger, newest first.</summary>
    [Serializable]
    public class AwardHistory
    {
        public LedgerEntry[] awards;
        /// <summary>Pass as <c>before</c> for the next page; 0 on the last page (the server sends null).</summary>
        public long next;
    }

    [Serializable]
    public class LedgerEntry
    {
        public long id;
        public string stat;
        public long amount;
        public long value_after;
        /// <summary><c>api:KEYNAME</c>, <c>twitch:EVENT_TYPE</c>, <c>import</c> or <c>admin</c>.</summary>
        public string source;
        public string reason;
        /// <summary>RFC 3339, UTC.</summary>
        public string at;
    }

    /// <summary>An <c>award</c> event from <c>/api/v1/events</c>.</summary>
    [Serializable]
    public class AwardEvent
    {
        /// <summary>The ledger row's id (the SSE <c>id:</c>); not part of the JSON data.</summary>
        [NonSerialized] public long EventId;
        public long player_id;
        public string username;
        public string stat;
        public long amount;
        public long value;
    }

    /// <summary>A <c>lagged</c> event: the reader fell behind and this many events were skipped.</summary>
    [Serializable]
    public class LaggedEvent
    {
        public long missed;
    }
}
