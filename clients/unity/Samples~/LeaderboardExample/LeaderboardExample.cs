using Playerbase;
using UnityEngine;

/// <summary>
/// Logs a player in (or resumes the session kept in PlayerPrefs) and prints
/// the melee leaderboard around them. Attach to any GameObject and fill in
/// the fields in the Inspector.
/// </summary>
public class LeaderboardExample : MonoBehaviour
{
    public string serverUrl = "http://127.0.0.1:5000";
    public string username = "kicksent";
    public string password = "python3x";

    private const string RefreshTokenKey = "playerbase.refresh_token";

    private async void Start()
    {
        var client = new PlayerbaseClient(serverUrl);
        // Keep the refresh token so the next run needs no password.
        client.SessionChanged += session =>
        {
            if (session != null) PlayerPrefs.SetString(RefreshTokenKey, session.RefreshToken);
            else PlayerPrefs.DeleteKey(RefreshTokenKey);
        };
        try
        {
            var kept = PlayerPrefs.GetString(RefreshTokenKey, "");
            if (kept != "") await client.ResumeAsync(kept);
            else await client.LoginAsync(username, password);
        }
        catch (PlayerbaseException e) when (e.Status == 401)
        {
            await client.LoginAsync(username, password); // the kept session had ended
        }

        var me = await client.GetMeAsync();
        Debug.Log(me.username + ": " + me.stats.meleeAtkXp + " melee XP, level " + me.levels.meleeAtkXp);
        try
        {
            var rank = await client.GetRankAsync("meleeAtkXp", me.id, radius: 3);
            foreach (var entry in rank.entries)
                Debug.Log("#" + entry.rank + " " + entry.username + " " + entry.value);
        }
        catch (PlayerbaseException e) when (e.Code == "not_ranked")
        {
            Debug.Log("not on the melee board yet");
        }
    }
}
