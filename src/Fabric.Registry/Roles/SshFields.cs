using System.Globalization;
using Fabric.Core;

namespace Fabric.Registry.Roles;

/// <summary>The fields every role has: how Fabric reaches the node over SSH. <c>sshAddress</c> (default: the node's IP),
/// <c>sshPort</c> (22), <c>sshUser</c> (<c>root</c>) and <c>sshHostKey</c>, the pinned host key (<c>ssh-ed25519 AAAA...</c>;
/// kept as <c>TYPE BASE64</c>, without the comment).</summary>
internal static class SshFields
{
    public static IReadOnlyList<RoleField> All { get; } =
    [
        RoleField.Of("sshAddress", i => i.SshAddress, (i, v) => i with { SshAddress = v }, n => n.Ssh.Address),
        RoleField.OfValue("sshPort", i => i.SshPort, (i, v) => i with { SshPort = v }, n => n.Ssh.Port),
        RoleField.Of("sshUser", i => i.SshUser, (i, v) => i with { SshUser = v }, n => n.Ssh.User),
        RoleField.Of("sshHostKey", i => i.SshHostKey, (i, v) => i with { SshHostKey = v }, n => n.Ssh.HostKey),
    ];

    /// <summary>The node with its SSH access made from the request's fields; every problem goes to <paramref name="errors"/>.</summary>
    public static Node WithAccess(Node node, NodeInput input, List<FieldError> errors)
    {
        string? address = null;
        if (input.SshAddress is not null)
        {
            var text = input.SshAddress.Trim();
            if (System.Net.IPAddress.TryParse(text, out var ip))
            {
                address = ip.ToString();
            }
            else if (IsDnsName(text))
            {
                address = text.ToLowerInvariant();
            }
            else
            {
                errors.Add(new FieldError("sshAddress", $"'{input.SshAddress}' is not an IP address or a host name"));
            }
        }

        if (input.SshPort is < 1 or > 65535)
        {
            errors.Add(new FieldError("sshPort", string.Create(CultureInfo.InvariantCulture, $"an SSH port is 1-65535, not {input.SshPort}")));
        }

        if (input.SshUser is not null && !IsUserName(input.SshUser))
        {
            errors.Add(new FieldError("sshUser", $"'{input.SshUser}' is not a user name (1-32 letters, digits, '_', '-' or '.', not starting with '-')"));
        }

        string? hostKey = null;
        if (input.SshHostKey is not null && !SshHostKeyText.TryNormalize(input.SshHostKey, out hostKey, out var reason))
        {
            errors.Add(new FieldError("sshHostKey", reason));
        }

        return node with { Ssh = new SshAccess(address, input.SshPort, input.SshUser, hostKey) };
    }

    private static bool IsUserName(string user) =>
        user.Length is > 0 and <= 32 && user[0] != '-' && user.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>A dotted DNS name (labels of letters, digits and '-', 1-63 each, at most 253 in all).</summary>
    private static bool IsDnsName(string text) =>
        text.Length is > 0 and <= 253 && text.Split('.').All(l => l.Length is > 0 and <= 63 && l[0] != '-' && l[^1] != '-' && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
}
