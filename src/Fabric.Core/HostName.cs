using System.Diagnostics.CodeAnalysis;

namespace Fabric.Core;

/// <summary>Node names follow host name rules (RFC 1123 section 2.1, RFC 952): dot-separated labels of
/// 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen, 253 characters at most.
/// Names are stored in lower case.</summary>
public static class HostName
{
    public const int MaxLabelLength = 63;
    public const int MaxLength = 253;

    public static bool TryNormalize([NotNullWhen(true)] string? text, [NotNullWhen(true)] out string? name, [NotNullWhen(false)] out string? reason)
    {
        name = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            reason = "a name is required";
            return false;
        }

        var candidate = text.Trim().ToLowerInvariant();
        if (candidate.Length > MaxLength)
        {
            reason = $"a name is at most {MaxLength} characters";
            return false;
        }

        foreach (var label in candidate.Split('.'))
        {
            if (label.Length == 0)
            {
                reason = "a name has no empty labels (no leading, trailing or double dots)";
                return false;
            }

            if (label.Length > MaxLabelLength)
            {
                reason = $"each label of a name is at most {MaxLabelLength} characters";
                return false;
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                reason = "a label does not start or end with a hyphen";
                return false;
            }

            foreach (var c in label)
            {
                if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
                {
                    reason = "a name has only letters, digits, hyphens and dots";
                    return false;
                }
            }
        }

        name = candidate;
        reason = null;
        return true;
    }

    public static bool IsValid(string? text) => TryNormalize(text, out _, out _);
}
