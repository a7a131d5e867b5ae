using System.Text;
using HandlebarsDotNet;

namespace Fabric.Boot.Rendering;

/// <summary>The Handlebars output encoder: every <c>{{value}}</c> goes through <see cref="BootText"/>.</summary>
internal sealed class BootTextEncoder : ITextEncoder
{
    public void Encode(StringBuilder? text, TextWriter target)
    {
        if (text is not null)
        {
            BootText.Escape(text, target);
        }
    }

    public void Encode(string? text, TextWriter target) => BootText.Escape(text.AsSpan(), target);

    public void Encode<T>(T? text, TextWriter target)
        where T : IEnumerator<char>
    {
        if (text is null)
        {
            return;
        }

        while (text.MoveNext())
        {
            target.Write(BootText.IsSafe(text.Current) ? text.Current : BootText.Replacement);
        }
    }
}
