@if ($redirect->isPost())
<form method="post" action="{{ $redirect->url }}" id="dargah-redirect-form">
    @foreach ($redirect->fields as $name => $value)
    <input type="hidden" name="{{ $name }}" value="{{ $value }}">
    @endforeach
    <button type="submit">{{ $button }}</button>
</form>
<script>document.getElementById('dargah-redirect-form').submit();</script>
@else
<a href="{{ $redirect->url }}">{{ $button }}</a>
@endif
