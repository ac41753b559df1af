using System;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Playerbase
{
    /// <summary>
    /// The streamer's side: awards, and players created for Twitch viewers,
    /// with an API key (<c>playerbase api-key create --scope awards:write</c>).
    /// The key belongs to the streamer's game server or build and must never
    /// reach viewers: whoever holds it can award anything to anyone.
    /// </summary>
    public class PlayerbaseGameServer
    {
        public readonly ApiCaller Api;
        private readonly string apiKey;

        public PlayerbaseGameServer(string baseUrl, string apiKey, IHttpTransport transport = null, IJsonParser json = null)
        {
            if (string.IsNullOrEmpty(apiKey)) throw new ArgumentException("an API key (pbk_…)", "apiKey");
            Api = new ApiCaller(baseUrl, transport, json);
            this.apiKey = apiKey;
        }

        /// <summary>
        /// Awards one player several stats at once, all or nothing; answers
        /// every stat after. Safe to retry: one Idempotency-Key (made here
        /// when none is given) is sent with every attempt, so a retry after a
        /// lost answer gets the first answer and applies nothing twice.
        /// 422 <c>unknown_stat</c> / <c>out_of_bounds</c>; 404 unknown player;
        /// 400 for a stat named twice (add the amounts, or use <see cref="AwardBatchAsync"/>).
        /// </summary>
        public Task<AwardResult> AwardAsync(long playerId, StatAmount[] stats, string reason = null, string idempotencyKey = null, CancellationToken cancel = default(CancellationToken))
        {
            if (stats == null) throw new ArgumentNullException("stats");
            var map = new JsonObject();
            foreach (var stat in stats) map.Number(stat.Stat, stat.Amount);
            var body = new JsonObject().Raw("stats", map.ToString()).String("reason", reason).ToString();
            var path = "/api/v1/players/" + playerId.ToString(CultureInfo.InvariantCulture) + "/awards";
            return SendAward<AwardResult>(path, body, idempotencyKey ?? NewIdempotencyKey(), cancel);
        }

        /// <summary>
        /// Up to 10,000 awards to players by id or Twitch user id, all or
        /// nothing; retried with one Idempotency-Key as <see cref="AwardAsync"/>.
        /// </summary>
        public Task<BatchResult> AwardBatchAsync(BatchAward[] awards, string reason = null, string idempotencyKey = null, CancellationToken cancel = default(CancellationToken))
        {
            if (awards == null) throw new ArgumentNullException("awards");
            var list = new StringBuilder("[");
            for (int i = 0; i < awards.Length; i++)
            {
                if (i > 0) list.Append(',');
                var award = new JsonObject();
                if (IsToTwitchUser(awards[i])) award.String("twitch_user_id", awards[i].TwitchUserId);
                else award.Number("player_id", awards[i].PlayerId);
                list.Append(award.String("stat", awards[i].Stat).Number("amount", awards[i].Amount));
            }
            list.Append(']');
            var body = new JsonObject().Raw("awards", list.ToString()).String("reason", reason).ToString();
            return SendAward<BatchResult>("/api/v1/awards", body, idempotencyKey ?? NewIdempotencyKey(), cancel);
        }

        /// <summary>
        /// Creates a player without a password, linked to a Twitch account
        /// (needs the <c>players:write</c> scope). 409 <c>twitch_user_taken</c>.
        /// </summary>
        public Task<Player> CreateTwitchPlayerAsync(string username, string twitchUserId, CancellationToken cancel = default(CancellationToken))
        {
            var body = new JsonObject().String("username", username).String("twitch_user_id", twitchUserId).ToString();
            return Api.SendAsync<Player>(() => WithKey(new HttpRequest("POST", Api.Url("/api/v1/players"), body)), false, cancel);
        }

        /// <summary>A fresh key for one logical award: 32 hex digits.</summary>
        public static string NewIdempotencyKey()
        {
            return Guid.NewGuid().ToString("N");
        }

        private Task<T> SendAward<T>(string path, string body, string idempotencyKey, CancellationToken cancel) where T : new()
        {
            // The key makes repeating safe: every attempt carries the same one.
            return Api.SendAsync<T>(() =>
            {
                var request = WithKey(new HttpRequest("POST", Api.Url(path), body));
                request.Headers["Idempotency-Key"] = idempotencyKey;
                return request;
            }, true, cancel);
        }

        private HttpRequest WithKey(HttpRequest request)
        {
            request.Headers["Authorization"] = "Bearer " + apiKey;
            return request;
        }

        private static bool IsToTwitchUser(BatchAward award)
        {
            return award.TwitchUserId != null;
        }
    }
}
