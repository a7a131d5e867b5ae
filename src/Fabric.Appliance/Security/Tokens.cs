using System.Security.Cryptography;
using System.Text;
using Fabric.Appliance.Hosting;

namespace Fabric.Appliance.Security;

/// <summary>Who made a request: <c>admin</c> (the admin token), <c>token:NAME</c> (a named API token), <c>node:NAME</c>
/// (a node's boot token), or <c>anonymous</c>.</summary>
public static class Actors
{
    public const string Admin = "admin";
    public const string Anonymous = "anonymous";
    public const string Boot = "boot";

    public static string Node(string name) => $"node:{name}";

    public static string Token(string name) => $"token:{name}";
}

/// <summary>The admin token: <c>Fabric:AdminToken</c> when set, otherwise <c>DataDir/admin.token</c> (created on first start).</summary>
public sealed class AdminToken
{
    public const string FileName = "admin.token";

    private readonly byte[] _token;

    internal AdminToken(FabricOptions options)
    {
        FilePath = options.AdminToken is null ? Path.Combine(options.DataDir, FileName) : null;
        var token = options.AdminToken ?? SecretFiles.ReadOrCreate(FilePath!, SecretFiles.NewToken);
        _token = Encoding.UTF8.GetBytes(token);
    }

    /// <summary>Where the token is kept, or null when it comes from configuration.</summary>
    public string? FilePath { get; }

    public bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token);
}

/// <summary>Per-node boot tokens: HMAC-SHA256 of the node name under the appliance secret in <c>DataDir/boot.secret</c>.
/// A node's token is good only for that node's boot reports.</summary>
public sealed class BootTokens
{
    public const string FileName = "boot.secret";

    private readonly byte[] _secret;

    internal BootTokens(FabricOptions options)
    {
        var secret = SecretFiles.ReadOrCreate(Path.Combine(options.DataDir, FileName), SecretFiles.NewToken);
        _secret = Encoding.UTF8.GetBytes(secret);
    }

    public string For(string nodeName)
    {
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(nodeName.ToLowerInvariant()));
        return Convert.ToHexStringLower(mac);
    }

    public bool Matches(string nodeName, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(For(nodeName)));
}
